"""The deployment's recurring duties, as persistent jobs of the job store (jobs/schedule_store.py).

Only the process holding the scheduler runs them (jobs/scheduler.py); each job's function is a
textual reference to one of the functions below, which work through the `Maintenance` that
holder bound with `bind()`. What each duty returns is kept as the detail of its last run.
Posts are never published from here: the workers' claim decides that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app import db
from jobs import outbox
from jobs.config import EngineConfig
from jobs.maintenance import Maintenance

OUTBOX_SECONDS = 1.0  # alert emails and audit sealing, as prompt as the outbox duties
METRICS_SECONDS = 5.0  # published posts' figures: due +1 h, +24 h, +7 d, +30 d; seconds late is fine


@dataclass(frozen=True)
class Duty:
    id: str
    func: str  # textual reference, so the job pickles
    every: Callable[[EngineConfig], float]  # its period in seconds, from the holder's settings
    does: str


DUTIES = (
    Duty("lease_reconciliation", "jobs.duties:lease_reconciliation",
         lambda c: c.maintenance_seconds,
         "retry publishing posts left without lease or next attempt; mark silent workers"),
    Duty("token_refresh", "jobs.duties:token_refresh", lambda c: c.maintenance_seconds,
         "refresh tokens that expire soon, before a post needs them"),
    Duty("retention", "jobs.duties:retention", lambda c: c.retention_seconds,
         "remove what is past its retention"),
    Duty("overdue_alarm", "jobs.duties:overdue_alarm", lambda c: c.maintenance_seconds,
         'the "nothing is publishing" alarm'),
    Duty("alert_digests", "jobs.duties:alert_digests", lambda c: OUTBOX_SECONDS,
         "send alert emails, one per alert or a digest when many pile up"),
    Duty("outbox_housekeeping", "jobs.duties:outbox_housekeeping", lambda c: OUTBOX_SECONDS,
         "seal new audit log entries into their hash chain"),
    Duty("recurring_jobs", "jobs.duties:recurring_jobs", lambda c: c.maintenance_seconds,
         "give every active recurring rule without a job in the store its job"),
    Duty("metrics_collection", "jobs.duties:metrics_collection", lambda c: METRICS_SECONDS,
         "measure the published posts whose figures are due (docs/analytics.md)"),
)

_bound: Maintenance | None = None


def bind(maintenance: Maintenance | None) -> None:
    """The holder's sweeps (engine, settings, token refresher) the duties work through."""
    global _bound
    _bound = maintenance


def _sweeps() -> Maintenance:
    if _bound is None:
        raise RuntimeError("the duties run in the process holding the scheduler only")
    return _bound


def _housekeeping() -> bool:
    return _sweeps().cfg.housekeeping


OFF = "off in this process (OPENPOST_HOUSEKEEPING=0)"


def lease_reconciliation() -> str:
    return _sweeps().reconcile_leases()


def token_refresh() -> str:
    return _sweeps().refresh_tokens()


def retention() -> str:
    return _sweeps().trim()


def overdue_alarm() -> str:
    return _sweeps().check_alarm() if _housekeeping() else OFF


def alert_digests() -> str:
    if not _housekeeping():
        return OFF
    try:
        return f"{outbox.send_emails_once()} email(s) sent"
    finally:
        db.session.remove()


def recurring_jobs() -> str:
    from jobs import recurring

    return f"{recurring.ensure_jobs(_sweeps().engine)} rule job(s) added"


def outbox_housekeeping() -> str:
    if not _housekeeping():
        return OFF
    return f"{outbox.seal_audit_once()} audit log entries sealed"


def metrics_collection() -> str:
    from app.analytics.service import collect_due_metrics

    if not _housekeeping():
        return OFF
    try:
        return f"{collect_due_metrics()} post(s) measured"
    finally:
        db.session.remove()
