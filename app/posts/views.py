"""Dashboard pages for posts: the filtered list, one post, and its lifecycle actions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy.orm import Session

from app import db
from app.auth.web_auth import actor, current_membership, current_workspace_id, require_setup_done
from app.channels.pages import sandbox_link
from app.channels.service import get_channel, list_channels
from app.errors import DomainError, ValidationFailed
from app.posts import calendar, lifecycle, live, reads, service
from app.posts.lifecycle import PostState
from app.posts.models import Post
from app.timeutil import parse_day, parse_schedule, zone
from app.web import htmx, render

bp = Blueprint("posts", __name__)
LIST_LIMIT = 100
# Shapes beside the state's name, so a state never reads by colour alone.
STATE_ICONS = {"draft": "✎", "scheduled": "◷", "publishing": "↻", "published": "✓", "failed": "✕",
               "canceled": "⊘"}


@bp.app_template_filter("web_link")
def web_link(url: str | None) -> str | None:
    """The URL if it may be a link (http or https); anything else is never rendered as one,
    even if it was stored before live URLs were checked."""
    try:
        return url if url and urlsplit(url).scheme in ("http", "https") else None
    except ValueError:
        return None


# The lifecycle's predicates, so templates ask the state machine instead of listing states:
# `post.state is editable`, `can_transition(post.state, "draft")`.
for _name, _test in (("editable", lifecycle.is_editable), ("live", lifecycle.is_live),
                     ("attempting", lifecycle.is_attempting), ("retryable", lifecycle.can_retry)):
    bp.add_app_template_test(_test, _name)
bp.add_app_template_global(lifecycle.can_transition, "can_transition")


@bp.app_template_filter("state_icon")
def state_icon(state: str) -> str:
    return STATE_ICONS.get(state, "")


def _day(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    return parse_day(value, name)


def _cursor() -> tuple[datetime, uuid.UUID] | None:
    """`after` is "<created_at>|<id>" of the last row shown: the next page starts below it."""
    value = request.args.get("after", "").strip()
    if not value:
        return None
    stamp, _, ident = value.partition("|")
    try:
        return datetime.fromisoformat(stamp), uuid.UUID(ident)
    except ValueError as exc:
        raise ValidationFailed("after is not a position this list gave out", field="after") from exc


def _filters(tz_name: str) -> dict[str, Any]:
    """The list's filters from the query string; a bad value is refused, not ignored."""
    state = request.args.get("state", "").strip() or None
    if state and state not in {s.value for s in PostState}:
        raise ValidationFailed(f"state must be one of {', '.join(s.value for s in PostState)}",
                               field="state")
    channel, channel_id = request.args.get("channel", "").strip(), None
    if channel:
        try:
            channel_id = uuid.UUID(channel)
        except ValueError as exc:
            raise ValidationFailed("channel is not a channel id", field="channel") from exc
    tz = zone(tz_name)
    start, end = _day("from"), _day("to")
    return {"state": state, "channel_id": channel_id, "after": _cursor(),
            "start": datetime.combine(start, time(), tz).astimezone(UTC) if start else None,
            "end": (datetime.combine(end + timedelta(days=1), time(), tz).astimezone(UTC)
                    if end else None)}


@bp.get("/")
@require_setup_done
@login_required
def index() -> ResponseReturnValue:
    workspace_id = current_workspace_id()
    tz_name = current_membership().workspace.timezone
    channels = {c.id: c for c in list_channels(db.session(), workspace_id)}
    posts = reads.list_posts(db.session(), workspace_id, limit=LIST_LIMIT, **_filters(tz_name))
    return render("posts/index.html", "posts/_list.html", posts=posts, channels=channels,
                  args=request.args, states=[s.value for s in PostState], tz_name=tz_name,
                  sandbox_url=sandbox_link(), **_page_links(posts))


def _page_links(posts: list[Any]) -> dict[str, Any]:
    """The next page (when this one is full) and the way back to the first."""
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if k != "after" and v}
    older = None
    if len(posts) >= LIST_LIMIT:
        last = posts[-1]
        older = url_for("posts.index", **kept, after=f"{last.created_at.isoformat()}|{last.id}")
    newest = url_for("posts.index", **kept) if request.args.get("after") else None
    return {"older_url": older, "newest_url": newest}


@bp.get("/posts/<uuid:post_id>")
@login_required
def detail(post_id: uuid.UUID, errors: dict[str, str] | None = None, status: int = 200
           ) -> ResponseReturnValue:
    workspace_id = current_workspace_id()
    post = service.get_post(db.session(), workspace_id, post_id)
    channel = get_channel(db.session(), workspace_id, post.channel_id)
    events = reads.post_events(db.session(), [post.id])[post.id]
    part_urls = {r.get("index"): r["live_url"] for r in post.results or []
                 if web_link(r.get("live_url"))}
    return render("posts/detail.html", status=status, post=post, channel=channel, events=events,
                  errors=errors or {}, form=request.form, part_urls=part_urls,
                  workspace_tz=current_membership().workspace.timezone)


@bp.get("/posts/<uuid:post_id>/status")
@login_required
def status(post_id: uuid.UUID) -> ResponseReturnValue:
    post = service.get_post(db.session(), current_workspace_id(), post_id)
    return render("posts/_status.html", "posts/_status.html", post=post)


@bp.post("/posts/live")
@login_required
def live_badges() -> ResponseReturnValue:
    """The page's one poll: the badges among those it names whose post changed since, out of
    band; 204 when none did; 286 (htmx: stop polling) once none of them is live."""
    seen = live.parse_keys(request.form.getlist("live"))
    changed, still_live = live.changes(db.session(), current_workspace_id(), seen)
    if not changed:
        return Response(status=204 if still_live else 286)
    body = "".join(render_template("posts/_status.html", post=p, oob=True) for p in changed)
    return Response(body, status=200 if still_live else 286)


def _acted(post_id: uuid.UUID, action: Callable[[Session, uuid.UUID, uuid.UUID, str], Post]
           ) -> ResponseReturnValue:
    """Run a lifecycle action; htmx gets the status cell back, a form post the post page."""
    try:
        post = action(db.session(), current_workspace_id(), post_id, actor())
        error = None
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        post, error = service.get_post(db.session(), current_workspace_id(), post_id), exc
    if not htmx:
        if error:
            return detail(post_id, errors={"form": error.message}, status=error.status)
        return redirect(url_for("posts.detail", post_id=post_id))
    answer = render("posts/_status.html", "posts/_status.html",
                    status=error.status if error else 200, post=post,
                    error=error.message if error else None)
    if lifecycle.is_live(post.state):  # a retried post is live again: wake the page's poll if it had stopped
        answer.set_data(answer.get_data() + render_template(
            "posts/_live.html", live=True, oob=True).encode())
    return answer


@bp.post("/posts/<uuid:post_id>/retry")
@login_required
def retry(post_id: uuid.UUID) -> ResponseReturnValue:
    return _acted(post_id, service.retry)


@bp.post("/posts/<uuid:post_id>/cancel")
@login_required
def cancel(post_id: uuid.UUID) -> ResponseReturnValue:
    return _acted(post_id, service.cancel)


@bp.post("/posts/<uuid:post_id>/unschedule")
@login_required
def unschedule(post_id: uuid.UUID) -> ResponseReturnValue:
    return _acted(post_id, service.unschedule)


@bp.post("/posts/<uuid:post_id>/reschedule")
@login_required
def reschedule(post_id: uuid.UUID) -> ResponseReturnValue:
    workspace_id = current_workspace_id()
    post = service.get_post(db.session(), workspace_id, post_id)
    try:
        tz_name = request.form.get("timezone", "").strip() or post.timezone
        zone(tz_name)
        when = parse_schedule(request.form.get("schedule_at", ""), tz_name)
        calendar.move(db.session(), workspace_id, post_id, actor(), when)
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return detail(post_id, errors={exc.field or "form": exc.message}, status=exc.status)
    return redirect(url_for("posts.detail", post_id=post_id))
