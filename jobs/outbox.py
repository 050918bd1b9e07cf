"""The outbox tick: deliver due webhooks, send due alert emails, seal new audit entries.

The engine's scheduler calls `run_outbox_once()` every second in each worker process; several
processes may run it at once (every step claims its rows with FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

import logging
from datetime import datetime

from app import db
from app.audit import chain
from app.notifications import alerts
from app.webhooks import delivery

log = logging.getLogger(__name__)


def seal_audit_once() -> int:
    try:
        return chain.seal(db.session())
    finally:
        db.session.remove()


def run_outbox_once(now: datetime | None = None) -> dict:
    """One pass of every outbox duty; a failing duty is logged and never stops the others."""
    done = {}
    for name, duty in (("webhook_attempts", lambda: delivery.deliver_due(now)),
                       ("emails_sent", lambda: alerts.send_due(now)),
                       ("audit_sealed", seal_audit_once)):
        try:
            done[name] = duty()
        except Exception:
            log.exception("outbox duty %s failed; it runs again next tick", name)
            db.session.remove()
            done[name] = 0
    return done
