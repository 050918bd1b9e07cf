"""The calendar: month and week views in the workspace's (or a channel's) timezone; drag to move."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Blueprint, request, url_for
from flask_login import login_required

from app import db
from app.auth.web_auth import actor, current_membership, current_workspace_id, require_setup_done
from app.channels.service import list_channels
from app.errors import DomainError, ValidationFailed
from app.inputs import whole_number
from app.posts import calendar, service
from app.recurring.views import ghosts
from app.timeutil import parse_day, to_local
from app.web import render

bp = Blueprint("calendar", __name__, url_prefix="/calendar")
VIEWS = ("month", "week")


def _view_state(source) -> dict:
    """view, anchor date, timezone (the workspace's, or the channel's named by `tz_channel`)."""
    view = source.get("view") or "month"
    if view not in VIEWS:
        raise ValidationFailed("view must be month or week", field="view")
    channels = list_channels(db.session, current_workspace_id())
    tz_channel = source.get("tz_channel") or ""
    tz_name = current_membership().workspace.timezone
    if tz_channel:
        chosen = next((c for c in channels if str(c.id) == tz_channel), None)
        if chosen is None:
            raise ValidationFailed("tz_channel is not a channel of this workspace",
                                   field="tz_channel")
        tz_name = chosen.timezone
    anchor = parse_day(source["date"], "date") if source.get("date") else None
    return {"view": view, "tz_name": tz_name, "tz_channel": tz_channel, "channels": channels,
            "anchor": anchor}


def _render(state: dict, message: str | None = None, error: str | None = None, status=200):
    workspace_id = current_workspace_id()
    today = to_local(service.db_now(db.session), state["tz_name"]).date()
    anchor = state["anchor"] or today
    week = state["view"] == "week"
    days = calendar.week_days(anchor) if week else calendar.month_days(anchor)
    cells, totals = calendar.chips(db.session, workspace_id, days, state["tz_name"],
                                   by_hour=week)
    if week:
        previous, following = anchor - timedelta(days=7), anchor + timedelta(days=7)
    else:
        first = anchor.replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
    return render("calendar/index.html", "calendar/_calendar.html", status=status,
                  **{**state, "anchor": anchor}, days=days, cells=cells, totals=totals,
                  previous=previous, following=following, message=message, error=error,
                  channel_map={c.id: c for c in state["channels"]},
                  weeks=[days[i:i + 7] for i in range(0, len(days), 7)], today=today,
                  post_url=_post_url_prefix(),
                  ghosts=ghosts(db.session, workspace_id, days, state["tz_name"], week))


def _post_url_prefix() -> str:
    """A chip's link is this plus the post id (hundreds of chips: one url_for, not hundreds)."""
    zero = uuid.UUID(int=0)
    return url_for("posts.detail", post_id=zero).removesuffix(str(zero))


@bp.get("")
@require_setup_done
@login_required
def index():
    return _render(_view_state(request.args))


@bp.post("/move")
@login_required
def move():
    """Drop target of a chip: the post moves to the day (and hour) it was dropped on."""
    state = _view_state(request.form)
    try:
        post_id = uuid.UUID(request.form.get("post_id", ""))
    except ValueError as exc:
        raise ValidationFailed("post_id is not a post id", field="post_id") from exc
    day = parse_day(request.form.get("day", ""), "day")
    hour = whole_number(request.form["hour"], "hour", 0, 23) if request.form.get("hour") else None
    workspace_id = current_workspace_id()
    try:
        when = calendar.new_time(db.session, workspace_id, post_id, state["tz_name"], day, hour)
        post = calendar.move(db.session, workspace_id, post_id, actor(), when)
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return _render(state, error=f"Not moved: {exc.message}.", status=exc.status)
    local = to_local(post.schedule_at, state["tz_name"])
    return _render(state, message=f"Moved to {local:%a %d %b %Y %H:%M} ({state['tz_name']}).")
