"""Worker heartbeats in the `workers` table: who runs, when it last ticked, what it holds."""

from __future__ import annotations

import os
import socket
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import __version__

UPSERT = sa.text("""
INSERT INTO workers (id, host, pid, version, started_at, last_tick_at, posts_claimed,
                     in_flight, stopped_at)
VALUES (:id, :host, :pid, :version, now(), now(), :claimed, :in_flight, NULL)
ON CONFLICT (id) DO UPDATE SET last_tick_at = now(), posts_claimed = EXCLUDED.posts_claimed,
    in_flight = EXCLUDED.in_flight, stopped_at = NULL
""")


def beat(sess: Session, worker_id: str, claimed: int, in_flight: int) -> None:
    sess.execute(UPSERT, {"id": worker_id, "host": socket.gethostname(), "pid": os.getpid(),
                          "version": __version__, "claimed": claimed, "in_flight": in_flight})


def stopped(sess: Session, worker_id: str, claimed: int) -> None:
    sess.execute(sa.text("UPDATE workers SET stopped_at = now(), last_tick_at = now(), "
                         "in_flight = 0, posts_claimed = :claimed WHERE id = :id"),
                 {"id": worker_id, "claimed": claimed})


def mark_silent(sess: Session, silent_seconds: float, keep_days: int = 7) -> int:
    """Workers that stopped ticking (killed, machine lost) are marked stopped; old rows go."""
    sess.execute(sa.text("DELETE FROM workers WHERE stopped_at < now() - make_interval(days => :d)"),
                 {"d": keep_days})
    marked = sess.execute(sa.text(
        "UPDATE workers SET stopped_at = last_tick_at WHERE stopped_at IS NULL "
        "AND last_tick_at < now() - make_interval(secs => :s)"), {"s": silent_seconds})
    return cast("sa.CursorResult[Any]", marked).rowcount
