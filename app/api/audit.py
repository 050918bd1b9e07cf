"""/api/v1/audit-log and /api/v1/notifications: reading the record and one's alerts."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import g, jsonify, request

from app import db
from app.api import blueprint, paging
from app.audit import service as audit
from app.auth.models import Membership
from app.notifications import service as notifications


@blueprint.get("/audit-log")
def audit_log():
    size = paging.limit()
    entries = audit.list_entries(db.session, g.workspace_id, **audit.filters(request.args),
                                 before_id=audit.before_id(request.args), limit=size)
    return jsonify({"data": [audit.entry_json(e) for e in entries],
                    "next_cursor": str(entries[-1].id) if len(entries) == size else None})


def _reader() -> uuid.UUID | None:
    """Whose notifications a key reads: its creator's, else the workspace's first owner's."""
    key = g.api_key  # auth.service.api_key_for's row
    if key.created_by:
        return key.created_by
    return db.session.scalar(sa.select(Membership.user_id).where(
        Membership.workspace_id == g.workspace_id, Membership.role == "owner")
        .order_by(Membership.created_at).limit(1))


@blueprint.get("/notifications")
def list_notifications():
    unread = request.args.get("unread", "").lower() in ("1", "true", "yes")
    size = paging.limit()
    rows = notifications.list_for_user(db.session, g.workspace_id, _reader(), unread=unread,
                                       after=paging.decode(), limit=size)
    return jsonify(paging.page(rows, size, notifications.notification_json))


@blueprint.post("/notifications/<uuid:notification_id>/read")
def read_notification(notification_id: uuid.UUID):
    changed = notifications.mark_read(db.session, g.workspace_id, _reader(), notification_id)
    return jsonify({"marked_read": changed})


@blueprint.post("/notifications/read")
def read_all_notifications():
    return jsonify({"marked_read": notifications.mark_read(db.session, g.workspace_id,
                                                           _reader())})
