"""Recording audit entries in the caller's transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.logs import request_id_var


def record(sess: Session, workspace_id: uuid.UUID | None, actor: str, action: str, *,
           target_type: str | None = None, target_id: object = None,
           before: dict | None = None, after: dict | None = None) -> AuditEntry:
    entry = AuditEntry(workspace_id=workspace_id, actor=actor, action=action,
                       target_type=target_type,
                       target_id=str(target_id) if target_id is not None else None,
                       request_id=request_id_var.get(), before=before, after=after)
    sess.add(entry)
    return entry
