"""Recurring sweeps that must run in one process only, elected with pg_try_advisory_lock.

Each process schedules these in its own in-memory APScheduler store; only the holder of the
advisory lock does the work, so several processes never run a sweep twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.channels import service as channels
from app.channels import tokens
from app.channels.errors import AuthRevoked, PublishError
from app.channels.models import Channel
from app.channels.registry import PUBLISHERS
from app.ops import alarm, retention
from app.posts import publishing
from jobs import heartbeat
from jobs.attempt import AttemptRunner
from jobs.config import EngineConfig

log = logging.getLogger(__name__)
LEADER_LOCK = 727_002


class Maintenance:
    def __init__(self, engine: sa.Engine, cfg: EngineConfig, runner: AttemptRunner):
        self.engine, self.cfg, self.runner = engine, cfg, runner
        self.conn: sa.Connection | None = None
        self.trimmed_at: float | None = None  # monotonic time of the last retention sweep
        # channel id -> (monotonic time before which its refresh is not tried again, failures)
        self.refresh_held: dict[uuid.UUID, tuple[float, int]] = {}

    def run(self) -> None:
        try:
            if not self._leader():
                return
            with Session(self.engine) as sess, sess.begin():
                if (stuck := publishing.repair_stuck(sess)):
                    log.warning("%d publishing post(s) had no lease and no next attempt; "
                                "retrying them now", stuck)
                heartbeat.mark_silent(sess, max(10 * self.cfg.tick_seconds, 30))
            if self.cfg.housekeeping:
                with Session(self.engine) as sess:
                    alarm.check_and_alert(sess)  # "nothing is publishing": once per incident
            self._refresh_tokens()
            self._trim()
        except sa.exc.DBAPIError as exc:
            log.warning("maintenance skipped: database unavailable (%s)", exc.__class__.__name__)
            self.close()

    def _leader(self) -> bool:
        if self.conn is not None:
            self.conn.exec_driver_sql("SELECT 1")
            return True
        conn = self.engine.connect()
        if conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}):
            conn.commit()
            self.conn = conn
            log.info("this process runs the maintenance sweeps")
            return True
        conn.rollback()
        conn.close()
        return False

    def _refresh_tokens(self) -> None:
        """Refresh tokens that will expire soon, before any post needs them: each platform's
        tokens within its own window (days for 60-day Meta tokens), others within twice the
        engine's margin."""
        default = 2 * self.cfg.refresh_margin_seconds
        seconds = sa.case({p: max(tokens.window(p), default) for p in PUBLISHERS},
                          value=Channel.platform, else_=default)
        with Session(self.engine) as sess:
            due = sess.execute(sa.select(Channel.id, Channel.platform).where(
                Channel.status == "connected", Channel.token_expires_at.is_not(None),
                Channel.token_expires_at < sa.func.now() + sa.func.make_interval(
                    0, 0, 0, 0, 0, 0, seconds))).all()
        for channel_id, platform in due:
            if self.refresh_held.get(channel_id, (0.0, 0))[0] > time.monotonic():
                continue
            try:
                self.runner.refresh_channel(channel_id, platform, margin_factor=2)
                self.refresh_held.pop(channel_id, None)
            except AuthRevoked as exc:
                with Session(self.engine) as sess, sess.begin():
                    channel = sess.get(Channel, channel_id, with_for_update=True)
                    if channel is not None:  # not deleted meanwhile
                        channels.mark_disconnected(sess, channel, exc.message)
            except (PublishError, LookupError) as exc:
                wait = self._hold_refresh(channel_id, platform, exc, default)
                log.warning("token refresh of channel %s failed (next try in %.0f s): %s",
                            channel_id, wait, exc)

    def _hold_refresh(self, channel_id: uuid.UUID, platform: str, exc: Exception,
                      default: float) -> float:
        """A refused refresh is tried again after a wait that doubles from one sweep period up
        to a thirtieth of the platform's window (a day for 60-day Meta tokens refreshed with 30
        days left, half a minute for X), or at the reset a rate limit names; not every sweep."""
        failures = min(self.refresh_held.get(channel_id, (0.0, 0))[1] + 1, 20)
        period = self.cfg.maintenance_seconds
        wait: float = min(period * 2 ** (failures - 1), max(tokens.window(platform, default) / 30, period))
        if (retry_at := getattr(exc, "retry_at", None)) is not None:
            wait = max(wait, (retry_at - datetime.now(UTC)).total_seconds())
        self.refresh_held[channel_id] = (time.monotonic() + wait, failures)
        return wait

    def _trim(self) -> None:
        now = time.monotonic()
        if self.trimmed_at is not None and now - self.trimmed_at < self.cfg.retention_seconds:
            return
        self.trimmed_at = now
        removed = retention.sweep(self.engine, self.cfg.retention_days,
                                  self.cfg.idempotency_hours)
        if any(removed.values()):
            log.info("retention: removed %s", ", ".join(f"{n} from {table}"
                                                       for table, n in removed.items() if n))

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute(sa.text("SELECT pg_advisory_unlock_all()"))
                self.conn.commit()
                self.conn.close()
            except (sa.exc.DBAPIError, sa.exc.PendingRollbackError):  # the connection died
                self.conn.invalidate()
            self.conn = None
