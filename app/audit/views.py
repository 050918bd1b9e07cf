"""Settings → Audit log: filter, page through, and export the workspace's audit entries."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from flask_login import login_required

from app import db
from app.audit import service
from app.auth.web_auth import current_workspace_id, roles_required
from app.errors import ValidationFailed
from app.timeutil import parse_schedule
from app.web import render

bp = Blueprint("audit", __name__, url_prefix="/settings/audit-log")
PAGE = 50
EXPORT_LIMIT = 100_000


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
    if not value.isdigit():
        raise ValidationFailed("the cursor is not one this page gave out", field="cursor")
    return int(value)


@bp.get("")
@login_required
@roles_required("owner", "admin")
def index():
    chosen = filters(request.args)
    entries = service.list_entries(db.session, current_workspace_id(), **chosen,
                                   before_id=before_id(request.args), limit=PAGE)
    more = entries[-1].id if len(entries) == PAGE else None
    query = {k: v for k, v in request.args.items() if k != "before"}
    return render("audit/index.html", "audit/_entries.html", entries=entries, next_before=more,
                  query=query)


@bp.get("/export.<fmt>")
@login_required
@roles_required("owner", "admin")
def export(fmt: str):
    if fmt not in ("csv", "json"):
        raise ValidationFailed("export as csv or json", field="format")
    entries = service.list_entries(db.session, current_workspace_id(), **filters(request.args),
                                   limit=EXPORT_LIMIT)
    if fmt == "csv":
        body, mimetype = service.to_csv(entries), "text/csv"
    else:
        body = json.dumps([service.entry_json(e) for e in entries], indent=1)
        mimetype = "application/json"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="audit-log.{fmt}"'})
