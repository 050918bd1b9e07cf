"""The calendar: month, week and day views, and an agenda (a week's or a month's posts listed
by day), in the workspace's (or a channel's) timezone, filtered
by channel and state (kept in the address); drag to move, click an empty slot to compose."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import db
from app.auth.web_auth import actor, current_membership, current_workspace_id, require_setup_done
from app.channels.models import Channel
from app.channels.service import list_channels
from app.errors import DomainError, ValidationFailed
from app.inputs import whole_number
from app.posts import calendar, service
from app.posts.lifecycle import PostState
from app.recurring.views import ghosts
from app.timeutil import parse_day, to_local
from app.web import render

bp = Blueprint("calendar", __name__, url_prefix="/calendar")
VIEWS = ("month", "week", "day", "agenda-week", "agenda-month")
STEP = {"week": timedelta(days=7), "day": timedelta(days=1), "agenda-week": timedelta(days=7)}
BY_HOUR = ("week", "day")  # the views whose cells are hours; the others' cells are days
NEW_POST_HOUR = 9  # a post composed from a month's day starts at 09:00


def _channel_named(channels: Sequence[Channel], value: str, field: str) -> Channel:
    chosen = next((c for c in channels if str(c.id) == value), None)
    if chosen is None:
        raise ValidationFailed(f"{field} is not a channel of this workspace", field=field)
    return chosen


def _view_state(source: Mapping[str, str]) -> dict[str, Any]:
    """view, anchor date, timezone (the workspace's, or the channel's named by `tz_channel`),
    and the filters: one channel's posts (`channel`), one state's (`state`)."""
    view = source.get("view") or "month"
    if view not in VIEWS:
        raise ValidationFailed("view must be month, week, day, agenda-week or agenda-month",
                               field="view")
    channels = list_channels(db.session(), current_workspace_id())
    tz_channel = source.get("tz_channel") or ""
    tz_name = current_membership().workspace.timezone
    if tz_channel:
        tz_name = _channel_named(channels, tz_channel, "tz_channel").timezone
    channel = source.get("channel") or ""
    if channel:
        _channel_named(channels, channel, "channel")
    state = source.get("state") or ""
    if state and state not in {s.value for s in PostState}:
        raise ValidationFailed(f"state must be one of {', '.join(s.value for s in PostState)}",
                               field="state")
    anchor = parse_day(source["date"], "date") if source.get("date") else None
    # What every link of the calendar keeps in the address besides its date.
    keep = {k: v for k, v in (("view", view), ("tz_channel", tz_channel), ("channel", channel),
                              ("state", state)) if v}
    return {"view": view, "tz_name": tz_name, "tz_channel": tz_channel, "channels": channels,
            "anchor": anchor, "channel": channel, "state": state, "keep": keep}


def _render(state: dict[str, Any], message: str | None = None, error: str | None = None,
            status: int = 200) -> Response:
    workspace_id = current_workspace_id()
    today = to_local(service.db_now(db.session()), state["tz_name"]).date()
    anchor = state["anchor"] or today
    view = state["view"]
    days_of: dict[str, Callable[[date], list[date]]] = {
        "week": calendar.week_days, "day": lambda d: [d], "agenda-week": calendar.week_days,
        "agenda-month": lambda d: [x for x in calendar.month_days(d) if x.month == d.month]}
    days = days_of.get(view, calendar.month_days)(anchor)
    by_hour = view in BY_HOUR
    cells, totals = calendar.chips(db.session(), workspace_id, days, state["tz_name"],
                                   by_hour=by_hour, channel_id=state["channel"] or None,
                                   state=state["state"] or None)
    if view in STEP:
        previous, following = anchor - STEP[view], anchor + STEP[view]
    else:
        first = anchor.replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
    return render("calendar/index.html", "calendar/_calendar.html", status=status,
                  **{**state, "anchor": anchor}, days=days, cells=cells, totals=totals,
                  previous=previous, following=following, message=message, error=error,
                  channel_map={c.id: c for c in state["channels"]},
                  weeks=[days[i:i + 7] for i in range(0, len(days), 7)], today=today,
                  post_url=_post_url_prefix(), states=[s.value for s in PostState],
                  now_hour=to_local(service.db_now(db.session()), state["tz_name"]).hour,
                  new_base=_new_post_base(state), new_hour=f"{NEW_POST_HOUR:02d}:00",
                  ghosts=ghosts(db.session(), workspace_id, days, state["tz_name"], by_hour))


def _new_post_base(state: dict[str, Any]) -> str:
    """The composer's address for a slot, but for the slot's time ("<date>T<hh:mm>", added by
    the template): the calendar's timezone, and its channel when it shows one."""
    return url_for("compose.new", timezone=state["tz_name"],
                   **({"channel_id": state["channel"]} if state["channel"] else {})) \
        + "&schedule_at="


def _post_url_prefix() -> str:
    """A chip's link is this plus the post id (hundreds of chips: one url_for, not hundreds)."""
    zero = uuid.UUID(int=0)
    return url_for("posts.detail", post_id=zero).removesuffix(str(zero))


@bp.get("")
@require_setup_done
@login_required
def index() -> ResponseReturnValue:
    return _render(_view_state(request.args))


@bp.post("/move")
@login_required
def move() -> ResponseReturnValue:
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
        when = calendar.new_time(db.session(), workspace_id, post_id, state["tz_name"], day, hour)
        post = calendar.move(db.session(), workspace_id, post_id, actor(), when)
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return _render(state, error=f"Not moved: {exc.message}.", status=exc.status)
    local = to_local(post.schedule_at, state["tz_name"])
    return _render(state, message=f"Moved to {local:%a %d %b %Y %H:%M} ({state['tz_name']}).")
