"""The channel list page: status, timezone, disconnect, delete, reconnect (connect flows live elsewhere)."""

from __future__ import annotations

import uuid
from functools import cache
from zoneinfo import available_timezones

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import login_required

from app import db
from app.analytics.reads import insight_notes
from app.auth.web_auth import actor, current_workspace_id, require_setup_done, roles_required
from app.channels import service
from app.channels.models import Channel
from app.config import PLATFORMS
from app.errors import DomainError
from app.platforms.registry import display_name
from app.web import htmx, render

bp = Blueprint("channel_pages", __name__, url_prefix="/channels")
SANDBOX = "sandbox"


def connect_url(platform: str, channel: Channel | None = None) -> str:
    """The connect flow's address for `platform` (a Reconnect names the channel it repairs)."""
    query = {"channel": str(channel.id)} if channel is not None else {}
    return url_for("channels.connect", platform=platform, **query)


def sandbox_link() -> str | None:
    """The sandbox's connect page, when this server mounts the sandbox (else no link)."""
    return connect_url(SANDBOX) if "sandbox" in current_app.extensions else None


bp.add_app_template_global(sandbox_link, "sandbox_link")
# the platforms, each with a sandbox fake
bp.add_app_template_global({p: display_name(p) for p in PLATFORMS}, "sandbox_names")


def disconnected_channels(sess, workspace_id) -> list[Channel]:
    return list(sess.scalars(sa.select(Channel).where(
        Channel.workspace_id == workspace_id, Channel.status == "disconnected")
        .order_by(Channel.created_at)))


@cache
def timezone_names() -> list[str]:
    """IANA names offered in timezone fields (typing any other is refused on save)."""
    return sorted(available_timezones() | {"UTC"})


@bp.get("")
@require_setup_done
@login_required
def index():
    channels = service.list_channels(db.session, current_workspace_id())
    return render("channels/index.html", channels=channels, zones=timezone_names(),
                  sandbox_url=sandbox_link(),
                  needs_insights=insight_notes(db.session, current_workspace_id()))


def _row(channel: Channel, error: str | None = None, status: int = 200, field: str = "actions"):
    if not htmx:
        return redirect(url_for("channel_pages.index"))
    return render("channels/index.html", "channels/_row.html", status=status, channel=channel,
                  error=error, error_field=field, zones=timezone_names())


@bp.post("/<uuid:channel_id>/timezone")
@login_required
@roles_required("owner", "admin")
def set_timezone(channel_id: uuid.UUID):
    workspace_id = current_workspace_id()
    try:
        channel = service.update_channel(db.session, workspace_id, channel_id, actor(),
                                         timezone=request.form.get("timezone", "").strip())
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return _row(service.get_channel(db.session, workspace_id, channel_id), exc.message,
                    exc.status, field="timezone")
    return _row(channel)


@bp.post("/<uuid:channel_id>/disconnect")
@login_required
@roles_required("owner", "admin")
def disconnect(channel_id: uuid.UUID):
    channel = service.get_channel(db.session, current_workspace_id(), channel_id, lock=True)
    service.mark_disconnected(db.session, channel, "disconnected from the dashboard", actor())
    db.session.commit()
    return _row(channel)


@bp.post("/<uuid:channel_id>/delete")
@login_required
@roles_required("owner", "admin")
def delete(channel_id: uuid.UUID):
    workspace_id = current_workspace_id()
    try:
        service.delete_channel(db.session, workspace_id, channel_id, actor())
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return _row(service.get_channel(db.session, workspace_id, channel_id), exc.message,
                    exc.status)
    if not htmx:
        return redirect(url_for("channel_pages.index"))
    return render("channels/index.html", "channels/_deleted.html", channel_id=channel_id)
