"""A worker's proof of life: a session-level advisory lock held on a connection of its own.

PostgreSQL frees the lock when that connection ends, so a worker whose lock is free and whose
heartbeat has stopped is dead, and its posts are reconciled at once (app/posts/publishing.py,
`reclaim_dead`) instead of after the lease. The lock alone is not proof of death: a PostgreSQL
restart frees every lock while the workers live on, so the rule also wants no heartbeat for
`dead_after` seconds since the later of the last tick and the server's start, and a worker
retakes its lock before it beats or renews anything.

The worker fences itself with the same numbers: it starts a platform call only while its
last confirmed beat is recent enough that nobody can have reclaimed its posts yet (see
docs/architecture.md, Claim, lease and fencing).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import psycopg
import sqlalchemy as sa

from app.posts.publishing import LIVENESS_LOCK

log = logging.getLogger(__name__)

# The server notices a vanished worker within seconds (not the operating system's two hours),
# and a call on a dead link fails instead of hanging the tick.
KEEPALIVE: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 2, "keepalives_interval": 1,
             "keepalives_count": 3, "tcp_user_timeout": 5000, "connect_timeout": 5,
             "options": "-c tcp_keepalives_idle=2 -c tcp_keepalives_interval=1 "
                        "-c tcp_keepalives_count=3 -c tcp_user_timeout=5000"}


class Liveness:
    def __init__(self, engine: sa.Engine, worker_id: str):
        self.url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.worker_id = worker_id
        self.conn: psycopg.Connection | None = None
        self.backend_pid: int | None = None  # our last lock session, ended if it lingers
        self.warned = False

    def confirm(self) -> bool:
        """Whether this worker holds its lock now, retaking it on a new connection when the
        old one was lost (a PostgreSQL restart, a dropped link)."""
        if self.conn is not None:
            try:
                self.conn.execute("SELECT 1")
                return True
            except psycopg.Error:
                self._drop()
        try:
            return self._take()
        except psycopg.Error as exc:
            log.warning("liveness lock: database unavailable (%s)",
                        str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return False

    def _take(self) -> bool:
        conn = psycopg.connect(self.url, autocommit=True, **KEEPALIVE)
        try:
            for _ in range(20):
                row = conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))",
                                   (LIVENESS_LOCK, self.worker_id)).fetchone()
                if row is not None and row[0]:  # a SELECT of one call: always one row
                    self.conn, self.backend_pid, self.warned = conn, conn.info.backend_pid, False
                    return True
                if self.backend_pid is None:
                    break
                # Our previous session still holds it (the server has not noticed that link
                # is gone): end it, then take the lock on this one.
                conn.execute("SELECT pg_terminate_backend(%s)", (self.backend_pid,))
                time.sleep(0.05)
        except BaseException:
            conn.close()
            raise
        conn.close()
        if not self.warned:
            log.warning("liveness lock of worker %s is held by another session; not claiming "
                        "until it is free", self.worker_id)
            self.warned = True
        return False

    def _drop(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
            self.conn = None

    def release(self) -> None:
        """At the end of a clean stop: closing the connection frees the lock."""
        self._drop()
        self.backend_pid = None
