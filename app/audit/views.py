"""Settings → Audit log: filter, page through, and export the workspace's audit entries."""

from __future__ import annotations

import json

from flask import Blueprint, Response, request
from flask_login import login_required

from app import db
from app.audit import readable, service
from app.auth.web_auth import current_workspace_id, roles_required
from app.errors import ValidationFailed
from app.web import render

bp = Blueprint("audit", __name__, url_prefix="/settings/audit-log")
PAGE = 25  # entries a page: a page stays a few screens tall, even on a phone
EXPORT_LIMIT = 100_000


@bp.get("")
@login_required
@roles_required("owner", "admin")
def index():
    chosen = service.filters(request.args)
    entries = service.list_entries(db.session, current_workspace_id(), **chosen,
                                   before_id=service.before_id(request.args), limit=PAGE)
    more = entries[-1].id if len(entries) == PAGE else None
    query = {k: v for k, v in request.args.items() if k != "before"}
    actors, actions = readable.known(db.session, current_workspace_id())
    who = readable.actor_names(db.session, current_workspace_id(),
                               {e.actor for e in entries} | set(actors))
    return render("audit/index.html", "audit/_entries.html", entries=entries, next_before=more,
                  query=query, who=who, actors=actors, actions=actions,
                  groups=sorted({a.split(".")[0] + "." for a in actions if "." in a}),
                  changes=readable.changes, action_label=readable.action_label)


@bp.get("/export.<fmt>")
@login_required
@roles_required("owner", "admin")
def export(fmt: str):
    if fmt not in ("csv", "json"):
        raise ValidationFailed("export as csv or json", field="format")
    entries = service.list_entries(db.session, current_workspace_id(), **service.filters(request.args),
                                   limit=EXPORT_LIMIT)
    if fmt == "csv":
        body, mimetype = service.to_csv(entries), "text/csv"
    else:
        body = json.dumps([service.entry_json(e) for e in entries], indent=1)
        mimetype = "application/json"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="audit-log.{fmt}"'})
