"""LISTEN for "a post was scheduled" so a post due before the next tick does not wait for it."""

from __future__ import annotations

import logging
import threading

import psycopg
import sqlalchemy as sa

from app.posts.lifecycle import DUE_CHANNEL

log = logging.getLogger(__name__)


def listen(engine: sa.Engine, wake: threading.Event, stopping: threading.Event) -> None:
    """Set `wake` on every notification until `stopping`; reconnect with backoff on errors."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    delay = 0.0
    while not stopping.is_set():
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"LISTEN {DUE_CHANNEL}")
                if delay:
                    log.info("LISTEN connection restored")
                delay = 0.0
                wake.set()  # something may have been scheduled while we were away
                while not stopping.is_set():
                    for _note in conn.notifies(timeout=1.0, stop_after=1):
                        wake.set()
        except psycopg.Error as exc:
            delay = min(max(delay * 2, 0.25), 10.0)
            log.warning("LISTEN connection lost (%s); reconnecting in %.1fs",
                        str(exc).splitlines()[0] if str(exc) else type(exc).__name__, delay)
            stopping.wait(delay)
