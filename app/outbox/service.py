"""Writing to the outbox: always inside the transaction of the change it announces."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.outbox.models import OutboxMessage


def endpoint_enabled(workspace: str) -> str:
    """SQL true when the workspace (an SQL expression) has an enabled webhook endpoint. Webhook
    rows are written only then, by every writer (this module and the set-based transitions in
    app/posts/lifecycle.py): an endpoint receives the changes made while it is enabled."""
    # `workspace` is always an expression written in the code, never input.
    return ("EXISTS (SELECT 1 FROM webhook_endpoints AS e "  # noqa: S608
            f"WHERE e.workspace_id = {workspace} AND e.enabled)")


_WANTED = sa.text(f"SELECT {endpoint_enabled(':workspace_id')}")


def webhooks_wanted(sess: Session, workspace_id: uuid.UUID) -> bool:
    return bool(sess.scalar(_WANTED, {"workspace_id": workspace_id}))


def enqueue(sess: Session, workspace_id: uuid.UUID, kind: str, event_type: str,
            payload: dict) -> OutboxMessage | None:
    """Queue a message (None: a webhook event nobody in the workspace subscribes to)."""
    if kind == "webhook" and not webhooks_wanted(sess, workspace_id):
        return None
    message = OutboxMessage(workspace_id=workspace_id, kind=kind, event_type=event_type,
                            payload=payload)
    sess.add(message)
    return message
