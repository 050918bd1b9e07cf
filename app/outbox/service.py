"""Writing to the outbox: always inside the transaction of the change it announces."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app.outbox.models import OutboxMessage


def enqueue(sess: Session, workspace_id: uuid.UUID, kind: str, event_type: str,
            payload: dict) -> OutboxMessage:
    message = OutboxMessage(workspace_id=workspace_id, kind=kind, event_type=event_type,
                            payload=payload)
    sess.add(message)
    return message
