"""Recording audit entries in the caller's transaction, and reading them back."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.inputs import whole_number
from app.logs import request_id_var
from app.timeutil import iso, parse_schedule


def record(sess: Session, workspace_id: uuid.UUID | None, actor: str, action: str, *,
           target_type: str | None = None, target_id: object = None,
           before: dict | None = None, after: dict | None = None) -> AuditEntry:
    entry = AuditEntry(workspace_id=workspace_id, actor=actor, action=action,
                       target_type=target_type,
                       target_id=str(target_id) if target_id is not None else None,
                       request_id=request_id_var.get(), before=before, after=after)
    sess.add(entry)
    return entry


def entry_json(entry: AuditEntry) -> dict:
    return {"id": entry.id, "at": iso(entry.created_at), "actor": entry.actor,
            "action": entry.action, "target_type": entry.target_type,
            "target_id": entry.target_id, "request_id": entry.request_id,
            "before": entry.before, "after": entry.after, "hash": entry.hash}


def list_entries(sess: Session, workspace_id: uuid.UUID, *, action: str | None = None,
                 actor: str | None = None, start: datetime | None = None,
                 end: datetime | None = None, before_id: int | None = None,
                 limit: int = 50) -> list[AuditEntry]:
    """Newest first. `action` matches exactly or as a prefix ending in a dot ("post.")."""
    query = sa.select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True)
                            if action.endswith(".") else AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if start:
        query = query.where(AuditEntry.created_at >= start)
    if end:
        query = query.where(AuditEntry.created_at < end)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return list(sess.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


def filters(args) -> dict:
    """The filter fields of a query string, validated: action, actor, from, to (ISO 8601)."""
    def moment(name):
        value = (args.get(name) or "").strip()
        if not value:
            return None
        if len(value) == 10:  # a bare date from <input type=date>
            value += "T00:00:00"
        return parse_schedule(value, "UTC", field=name)
    return {"action": (args.get("action") or "").strip() or None,
            "actor": (args.get("actor") or "").strip() or None,
            "start": moment("from"), "end": moment("to")}


def before_id(args) -> int | None:
    value = args.get("before") or args.get("cursor")
    if not value:
        return None
    return whole_number(value, "cursor", 1, 10**18 - 1)


CSV_FIELDS = ("id", "at", "actor", "action", "target_type", "target_id", "request_id",
              "before", "after", "hash")


def to_csv(entries) -> str:
    import csv
    import io
    import json

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for entry in entries:
        row = entry_json(entry)
        row["before"] = json.dumps(row["before"]) if row["before"] is not None else ""
        row["after"] = json.dumps(row["after"]) if row["after"] is not None else ""
        writer.writerow(row)
    return out.getvalue()
