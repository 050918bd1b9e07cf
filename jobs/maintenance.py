"""The deployment's sweeps: repairing leases, refreshing tokens, the alarm, retention.

Each is a duty of jobs/duties.py, a persistent job of the job store run by the one process
holding the scheduler (jobs/scheduler.py); `run()` does every sweep once, in this process.
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
from app.channels.models import Channel
from app.ops import alarm, retention
from app.platforms.errors import AuthRevoked, PublishError
from app.platforms.registry import PUBLISHERS
from app.posts import lifecycle, publishing
from jobs import heartbeat
from jobs.attempt import AttemptRunner
from jobs.config import EngineConfig

log = logging.getLogger(__name__)


class Maintenance:
    def __init__(self, engine: sa.Engine, cfg: EngineConfig, runner: AttemptRunner):
        self.engine, self.cfg, self.runner = engine, cfg, runner
        # channel id -> (monotonic time before which its refresh is not tried again, failures)
        self.refresh_held: dict[uuid.UUID, tuple[float, int]] = {}

    def run(self) -> None:
        """Every sweep once (the alarm only with housekeeping on)."""
        self.reconcile_leases()
        if self.cfg.housekeeping:
            self.check_alarm()
        self.refresh_tokens()
        self.trim()

    def reconcile_leases(self) -> str:
        """Publishing posts left with neither a lease nor a next attempt are retried now, and
        workers that stopped ticking are marked stopped. (Expired leases are taken over by the
        claim statement itself.)"""
        with Session(self.engine) as sess, sess.begin():
            if (stuck := publishing.repair_stuck(sess)):
                log.warning("%d publishing post(s) had no lease and no next attempt; "
                            "retrying them now", stuck)
            dead = publishing.reclaim_dead(sess, self.cfg.dead_after, actor="maintenance")[1]
            if dead:
                lifecycle.notify_due(sess)  # the workers take them over at once
            silent = heartbeat.mark_silent(sess, max(10 * self.cfg.tick_seconds, 30))
        return (f"{stuck} stuck post(s) retried, {dead} post(s) of dead workers released, "
                f"{silent} silent worker(s) marked stopped")

    def check_alarm(self) -> str:
        """The "nothing is publishing" alarm: alerts once per incident, once on recovery."""
        with Session(self.engine) as sess:
            status = alarm.check_and_alert(sess)
        return f"alarm: {status.reason}" if status.alarming else "no alarm"

    def refresh_tokens(self) -> str:
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
                self.runner.refresh_channel(channel_id)
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
        return f"{len(due)} channel(s) due for a refresh"

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

    def trim(self) -> str:
        removed = retention.sweep(self.engine, self.cfg.retention_days,
                                  self.cfg.idempotency_hours)
        summary = ", ".join(f"{n} from {table}" for table, n in removed.items() if n)
        if summary:
            log.info("retention: removed %s", summary)
        return f"removed {summary}" if summary else "nothing to remove"
