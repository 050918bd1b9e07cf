"""Sending alert emails from the outbox: one per alert, a digest when many pile up.

Rows are leased (claimed with FOR UPDATE SKIP LOCKED, pushed ahead by LEASE, committed) before
the SMTP conversation and marked processed only after the server accepted the message, so a
mail-server outage delays alerts with backoff but never loses one.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import db
from app.notifications import mailer
from app.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

DIGEST_OVER = 5  # more pending alerts than this for one workspace become one digest
LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim(sess: Session, now: datetime, limit: int = 500) -> list[OutboxMessage]:
    rows = list(sess.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "email", OutboxMessage.processed_at.is_(None),
        OutboxMessage.next_attempt_at <= now).order_by(OutboxMessage.id).limit(limit)
        .with_for_update(skip_locked=True)))
    for row in rows:
        row.next_attempt_at = now + LEASE
    sess.commit()
    return rows


def batches(rows: list[OutboxMessage]) -> list[list[OutboxMessage]]:
    """Per workspace: each row alone, or all of them as one digest past DIGEST_OVER."""
    by_workspace: dict[uuid.UUID, list[OutboxMessage]] = defaultdict(list)
    for row in rows:
        by_workspace[row.workspace_id].append(row)
    out: list[list[OutboxMessage]] = []
    for group in by_workspace.values():
        out.extend([group] if len(group) > DIGEST_OVER else [[r] for r in group])
    return out


def _finish(sess: Session, ids: list[int], now: datetime, error: str | None) -> None:
    for row in sess.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids))):
        if error is None:
            row.processed_at, row.last_error = now, None
        else:
            row.attempts += 1
            row.last_error = error[:1000]
            row.next_attempt_at = now + backoff(row.attempts)
    sess.commit()


def send_due(now: datetime | None = None, conf: mailer.SmtpSettings | None = None) -> int:
    """Send what is due; returns the number of emails the server accepted."""
    sess = db.session()
    try:
        conf = conf or mailer.settings()
    except mailer.MailNotConfigured:
        return 0
    try:
        now = now or sess.scalar(sa.select(sa.func.now()))
        sent = 0
        pending = batches(claim(sess, now))
        for i, batch in enumerate(pending):
            recipients = sorted({r for row in batch for r in row.payload.get("to", [])})
            msg = mailer.compose(recipients, [row.payload for row in batch],
                                 str(batch[0].event_id), conf.sender)
            try:
                mailer.send(msg, conf)
            except (OSError, smtplib.SMTPException) as exc:
                # The server is down or refusing: the rest of this pass would fare the same.
                log.warning("alert emails not sent, will retry: %s", exc)
                _finish(sess, [r.id for b in pending[i:] for r in b], now,
                        f"{type(exc).__name__}: {exc}")
                break
            _finish(sess, [r.id for r in batch], now, None)
            sent += 1
        return sent
    finally:
        db.session.remove()
