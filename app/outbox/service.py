"""Writing to the outbox: always inside the transaction of the change it announces."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.outbox.models import OutboxMessage


def webhooks_wanted(sess: Session, workspace_id: uuid.UUID) -> bool:
    """Whether the workspace has an enabled webhook endpoint. Webhook rows are written only
    then (the set-based transitions in app/posts/lifecycle.py apply the same rule in SQL): an
    endpoint receives the changes made while it is enabled."""
    from app.webhooks.models import WebhookEndpoint

    return bool(sess.scalar(sa.select(sa.exists().where(
        WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.enabled.is_(True)))))


def enqueue(sess: Session, workspace_id: uuid.UUID, kind: str, event_type: str,
            payload: dict) -> OutboxMessage | None:
    """Queue a message (None: a webhook event nobody in the workspace subscribes to)."""
    if kind == "webhook" and not webhooks_wanted(sess, workspace_id):
        return None
    message = OutboxMessage(workspace_id=workspace_id, kind=kind, event_type=event_type,
                            payload=payload)
    sess.add(message)
    return message
