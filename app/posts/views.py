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
from app.analytics import views as analytics_views
from app.audit import readable
from app.auth.web_auth import actor, current_membership, current_workspace_id, require_setup_done
from app.channels.pages import sandbox_link, timezone_names
from app.channels.service import get_channel, list_channels
from app.errors import DomainError, ValidationFailed
from app.posts import bulk, calendar, lifecycle, live, reads, service
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
                     ("attempting", lifecycle.is_attempting), ("retryable", lifecycle.can_retry),
                     ("draft", lifecycle.is_draft), ("scheduled", lifecycle.is_scheduled)):
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


# The list's orders (reads.ORDERS) as the sort menu names them; the first is the default.
SORTS = {"time": "Scheduled time, earliest first", "-time": "Scheduled time, latest first",
         "created": "Newest created first"}


def _sort() -> str:
    value = request.args.get("sort", "").strip() or "time"
    if value not in SORTS:
        raise ValidationFailed(f"sort must be one of {', '.join(SORTS)}", field="sort")
    return value


def _cursor(order: str) -> tuple[Any, ...] | None:
    """`after` is what reads.cursor() gave for the last row shown, "|"-joined: the next page
    starts below it."""
    value = request.args.get("after", "").strip()
    if not value:
        return None
    fields = value.split("|")
    try:
        if len(fields) != (2 if order == "created" else 3):
            raise ValueError(value)
        *stamps, ident = fields
        return (*map(datetime.fromisoformat, stamps), uuid.UUID(ident))
    except ValueError as exc:
        raise ValidationFailed("after is not a position this list gave out", field="after") from exc


def _search() -> str | None:
    value = request.args.get("q", "").strip()
    if len(value) > reads.SEARCH_MAX:
        raise ValidationFailed(f"the search is longer than {reads.SEARCH_MAX} characters",
                               field="q")
    return value or None


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
    order = _sort()
    return {"state": state, "channel_id": channel_id, "after": _cursor(order), "order": order,
            "search": _search(),
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
    chosen = _filters(tz_name)
    posts = reads.list_posts(db.session(), workspace_id, limit=LIST_LIMIT, **chosen)
    return render("posts/index.html", "posts/_list.html", posts=posts, channels=channels,
                  args=request.args, states=[s.value for s in PostState], tz_name=tz_name,
                  sandbox_url=sandbox_link(), sorts=SORTS, sort=chosen["order"],
                  bulk_actions=bulk.ACTIONS, **_page_links(posts, chosen["order"]))


def _page_links(posts: list[Post], order: str) -> dict[str, Any]:
    """The next page (when this one is full) and the way back to the first."""
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if k != "after" and v}
    more = None
    if len(posts) >= LIST_LIMIT:
        where = reads.cursor(posts[-1], order)
        more = url_for("posts.index", **kept, after="|".join(
            v.isoformat() if isinstance(v, datetime) else str(v) for v in where))
    first = url_for("posts.index", **kept) if request.args.get("after") else None
    return {"older_url": more, "newest_url": first}


@bp.post("/posts/bulk")
@login_required
def bulk_action() -> Response:
    """Several posts at once: first a confirmation naming how many (and which cannot be
    acted on, with the reason), then, once confirmed, each post's own result."""
    workspace_id = current_workspace_id()
    action = request.form.get("action", "")
    ids = bulk.parse_ids(request.form.getlist("post_id"))
    channels = {c.id: c for c in list_channels(db.session(), workspace_id)}
    back = _safe_back(request.form.get("back"))
    days = bulk.parse_days(action, request.form.get("days"))
    words: dict[str, Any] = {"action": action, "days": days, "label": bulk.label(action, days) if action in
             bulk.ACTIONS else action, "phrase": lambda n: bulk.phrase(action, n, days)}
    if not request.form.get("confirmed"):
        plan = bulk.plan(db.session(), workspace_id, action, ids)
        return render("posts/bulk.html", plan=plan, channels=channels, back=back, **words)
    results = bulk.run(db.session(), workspace_id, action, ids, actor(), days)
    return render("posts/bulk.html", results=results, channels=channels, back=back, **words)


def _safe_back(value: str | None) -> str:
    """The list (with its filters) the bulk action came from; only this site's Posts list."""
    default = url_for("posts.index")
    if not value or (value != default and not value.startswith(default + "?")):
        return default
    return value


@bp.get("/posts/<uuid:post_id>")
@login_required
def detail(post_id: uuid.UUID, errors: dict[str, str] | None = None, status: int = 200
           ) -> ResponseReturnValue:
    workspace_id = current_workspace_id()
    post = service.get_post(db.session(), workspace_id, post_id)
    channel = get_channel(db.session(), workspace_id, post.channel_id)
    events = reads.post_events(db.session(), [post.id])[post.id]
    who = readable.actor_names(db.session(), workspace_id, {e.actor for e in events})
    part_urls = {r.get("index"): r["live_url"] for r in post.results or []
                 if web_link(r.get("live_url"))}
    return render("posts/detail.html", status=status, post=post, channel=channel, events=events,
                  errors=errors or {}, form=request.form, part_urls=part_urls, who=who,
                  workspace_tz=current_membership().workspace.timezone,
                  zones=timezone_names(),
                  **analytics_views.post_figures(post, channel))


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
        if lifecycle.is_draft(post.state):  # a draft stays a draft unless Schedule is pressed
            scheduling = request.form.get("action") == "schedule"
            service.update_post(db.session(), workspace_id, post_id, actor(), schedule_at=when,
                                timezone=tz_name, commit=not scheduling)
            if scheduling:
                service.schedule(db.session(), workspace_id, post_id, actor())
        else:
            calendar.move(db.session(), workspace_id, post_id, actor(), when)
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return detail(post_id, errors={exc.field or "form": exc.message}, status=exc.status)
    return redirect(url_for("posts.detail", post_id=post_id))
