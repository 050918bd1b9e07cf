"""Notification center: the bell, the list, mark read; and the regions every page carries."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import db
from app.auth.web_auth import current_workspace_id
from app.channels.pages import connect_url, disconnected_channels
from app.notifications import service
from app.web import htmx, render

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def _page_regions() -> dict:
    """The bell and the disconnected-channel banners of every signed-in page (once a request)."""
    if not current_user.is_authenticated or request.path.startswith("/api/"):
        return {}
    if "page_regions" not in g:
        workspace_id = current_workspace_id()
        g.page_regions = {
            "unread_count": service.unread_count(db.session, workspace_id, current_user.id),
            "disconnected_channels": disconnected_channels(db.session, workspace_id),
            "connect_url": connect_url}
    return g.page_regions


@bp.after_app_request
def _out_of_band(response: Response) -> Response:
    """htmx answers also refresh the bell and the banners, so they never go stale (a 204 has no
    body to carry them: the live badges' poll answers so every 2 s while nothing changes)."""
    if (not htmx or request.endpoint in ("notifications.bell", "static")
            or response.status_code == 204
            or not current_user.is_authenticated or request.path.startswith("/api/")
            or response.mimetype != "text/html" or response.direct_passthrough
            or 300 <= response.status_code < 400):
        return response
    extra = render_template("notifications/_regions_oob.html", oob=True)
    response.set_data(response.get_data() + extra.encode())
    return response


@bp.get("")
@login_required
def index():
    items = service.list_for_user(db.session, current_workspace_id(), current_user.id, limit=100)
    return render("notifications/index.html", "notifications/_list.html", items=items)


@bp.get("/bell")
@login_required
def bell():
    return render_template("notifications/_bell.html", oob=False)


@bp.post("/<uuid:notification_id>/read")
@login_required
def mark_read(notification_id: uuid.UUID):
    service.mark_read(db.session, current_workspace_id(), current_user.id, notification_id)
    return _after_change()


@bp.post("/read-all")
@login_required
def mark_all_read():
    service.mark_read(db.session, current_workspace_id(), current_user.id)
    return _after_change()


def _after_change():
    if not htmx:
        return redirect(url_for("notifications.index"))
    items = service.list_for_user(db.session, current_workspace_id(), current_user.id, limit=100)
    return render("notifications/index.html", "notifications/_list.html", items=items)
