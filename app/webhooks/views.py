"""Settings → Webhooks: endpoints (secret shown once), deliveries log, resend, enable, rotate."""

from __future__ import annotations

import uuid

from flask import Blueprint, redirect, request, url_for
from flask_login import login_required

from app import db
from app.auth.web_auth import actor, current_workspace_id, roles_required
from app.errors import DomainError
from app.web import htmx, render
from app.webhooks import service

bp = Blueprint("webhooks", __name__, url_prefix="/settings/webhooks")
bp.add_app_template_filter(service.redacted_url, "webhook_url")
admins = roles_required("owner", "admin")


def _list_page(status: int = 200, **context):
    endpoints = service.list_endpoints(db.session, current_workspace_id())
    return render("webhooks/index.html", "webhooks/_endpoints.html", status=status,
                  endpoints=endpoints, events=service.EVENTS, **context)


@bp.get("")
@login_required
@admins
def index():
    return _list_page()


@bp.post("")
@login_required
@admins
def create():
    form = request.form
    try:
        endpoint, secret = service.create_endpoint(
            db.session, current_workspace_id(), actor(), url=form.get("url", ""),
            events=form.getlist("events"), description=form.get("description", ""))
    except DomainError as exc:
        db.session.rollback()
        return _list_page(status=exc.status, error=exc.message, form=form)
    return _list_page(created=endpoint, secret=secret)


@bp.post("/<uuid:endpoint_id>/delete")
@login_required
@admins
def delete(endpoint_id: uuid.UUID):
    service.delete_endpoint(db.session, current_workspace_id(), endpoint_id, actor())
    return _list_page()


@bp.post("/<uuid:endpoint_id>/enable")
@login_required
@admins
def enable(endpoint_id: uuid.UUID):
    service.enable_endpoint(db.session, current_workspace_id(), endpoint_id, actor())
    return redirect(url_for("webhooks.deliveries", endpoint_id=endpoint_id))


@bp.post("/<uuid:endpoint_id>/rotate")
@login_required
@admins
def rotate(endpoint_id: uuid.UUID):
    secret = service.rotate_secret(db.session, current_workspace_id(), endpoint_id, actor())
    return deliveries(endpoint_id, secret=secret)


@bp.get("/<uuid:endpoint_id>")
@login_required
@admins
def deliveries(endpoint_id: uuid.UUID, secret: str | None = None):
    workspace_id = current_workspace_id()
    endpoint = service.get_endpoint(db.session, workspace_id, endpoint_id)
    rows = service.list_deliveries(db.session, workspace_id, endpoint_id, limit=100)
    return render("webhooks/deliveries.html", endpoint=endpoint, deliveries=rows,
                  secret=secret, url=service.redacted_url(endpoint.url))


@bp.post("/<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/resend")
@login_required
@admins
def resend(endpoint_id: uuid.UUID, delivery_id: uuid.UUID):
    delivery = service.resend(db.session, current_workspace_id(), endpoint_id, delivery_id,
                              actor())
    if not htmx:
        return redirect(url_for("webhooks.deliveries", endpoint_id=endpoint_id))
    return render("webhooks/_delivery.html", d=delivery)
