"""The outbox tick: deliver due webhooks, send due alert emails, seal new audit entries, make
the media renditions that posts (and composer drafts) asked for.

Webhook deliveries and media renditions are work queues: every worker's own scheduler runs
each duty of EVERY_WORKER through `run_duty()` every second, each on its own schedule
(max_instances=1, coalesce=True), so a slow webhook pass never holds up renditions, and
several processes share the rows (FOR UPDATE SKIP LOCKED). Alert emails and audit sealing are
duties of the deployment's scheduler (jobs/duties.py), run by one process. `run_outbox_once()`
runs every duty once (`openpost outbox deliver`); each claims its rows with FOR UPDATE SKIP
LOCKED or an advisory lock, so running one anywhere is safe. A webhook pass takes at most
WEBHOOK_BUDGET seconds to start new deliveries, plus one delivery's timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from app import db
from app.audit import chain
from app.media import conversions
from app.notifications import alerts
from app.webhooks import delivery

log = logging.getLogger(__name__)
WEBHOOK_BUDGET = 10.0


def deliver_webhooks_once(now: datetime | None = None) -> int:
    return delivery.deliver_due(now, budget=WEBHOOK_BUDGET)


def send_emails_once(now: datetime | None = None) -> int:
    return alerts.send_due(now)


def seal_audit_once(now: datetime | None = None) -> int:
    try:
        return chain.seal(db.session())
    finally:
        db.session.remove()


DUTIES = (("webhook_attempts", deliver_webhooks_once), ("emails_sent", send_emails_once),
          ("audit_sealed", seal_audit_once), ("conversions_run", conversions.run_due))
EVERY_WORKER = ("webhook_attempts", "conversions_run")


def run_duty(name: str, duty: Callable[[datetime | None], int], now: datetime | None = None) -> int:
    """One duty once; a failure is logged and the duty simply runs again next tick."""
    try:
        return duty(now)
    except Exception:
        log.exception("outbox duty %s failed; it runs again next tick", name)
        db.session.remove()
        return 0


def run_outbox_once(now: datetime | None = None) -> dict[str, int]:
    """One pass of every duty; a failing duty never stops the others."""
    return {name: run_duty(name, duty, now) for name, duty in DUTIES}
