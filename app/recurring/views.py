"""Dashboard: recurring rules (create, edit, pause, resume, delete, upcoming occurrences) and
each channel's posting slots and queue (add, delete, reorder, Add to queue)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, request
from flask_login import login_required

from app import db
from app.auth.web_auth import actor, current_workspace_id, require_setup_done
from app.channels.service import list_channels
from app.errors import DomainError, ValidationFailed
from app.posts.models import Post
from app.posts.service import db_now
from app.recurring import reads, rules, slots
from app.recurring.models import RecurringRule
from app.recurring.times import upcoming
from app.timeutil import localize, zone
from app.web import render

bp = Blueprint("recurring", __name__, url_prefix="/recurring")
REPEATS = {"daily": "every day", "weekdays": "every weekday (Mon–Fri)",
           "days": "on the days ticked", "monthly": "monthly, on the day given"}
SHOWN_OCCURRENCES = 6


def describe(cron: dict) -> str:
    """A rule in words, e.g. "mon-fri at 09:00"."""
    clock = ""
    if str(cron.get("hour", "")).isdigit() and str(cron.get("minute", "0")).isdigit():
        clock = f" at {int(cron['hour']):02d}:{int(cron.get('minute', 0)):02d}"
    days = []
    if "day" in cron:
        days.append(f"monthly on day {cron['day']}")
    if "day_of_week" in cron:
        days.append("mon-fri" if cron["day_of_week"] == "mon-fri" else f"on {cron['day_of_week']}")
    rest = [f"{k}={v}" for k, v in cron.items() if k not in ("hour", "minute", "day",
                                                           "day_of_week") or
            (k in ("hour", "minute") and not clock)]
    return " ".join(days or ["every day"]) + clock + (f" ({', '.join(rest)})" if rest else "")


def rule_from_form(form) -> dict:
    """The service's arguments from the rule form."""
    clock = (form.get("time") or "").strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", clock)
    if not match:
        raise ValidationFailed("choose a time like 09:00", field="time")
    cron = {"hour": int(match[1]), "minute": int(match[2])}
    repeat = form.get("repeat") or "daily"
    if repeat == "weekdays":
        cron["day_of_week"] = "mon-fri"
    elif repeat == "days":
        days = [d for d in form.getlist("weekday") if d in slots.WEEKDAYS]
        if not days:
            raise ValidationFailed("tick at least one day", field="weekday")
        cron["day_of_week"] = ",".join(days)
    elif repeat == "monthly":
        day = (form.get("day") or "").strip()
        if not day:
            raise ValidationFailed('give the day of the month, e.g. 1, last or "1st mon"',
                                   field="day")
        cron["day"] = day
    elif repeat != "daily":
        raise ValidationFailed(f"repeat must be one of {', '.join(REPEATS)}", field="repeat")
    args = {"rule": cron, "text": form.get("text") or ""}
    if form.get("name") is not None:
        args["name"] = form.get("name", "").strip()
    ends_on = (form.get("ends_on") or "").strip()
    args["ends_at"] = f"{ends_on}T23:59:59" if ends_on else None
    count = (form.get("count") or "").strip()
    if count and not count.isdigit():
        raise ValidationFailed("count must be a whole number", field="count")
    args["count"] = int(count) if count else None
    return args


def _page(status: int = 200, **context):
    sess, workspace_id = db.session, current_workspace_id()
    now = db_now(sess)
    channels = list_channels(sess, workspace_id)
    shown = [(rule, describe(rule.cron), reads.occurrences(sess, rule, now, SHOWN_OCCURRENCES))
             for rule in rules.list_rules(sess, workspace_id)]
    queues = []
    for channel in channels:
        channel_slots = slots.list_slots(sess, workspace_id, channel.id)
        drafts = list(sess.scalars(sa.select(Post).where(
            Post.channel_id == channel.id, Post.state == "draft").order_by(Post.created_at)
            .limit(20)))
        queues.append((channel, channel_slots, slots.queue(sess, workspace_id, channel.id),
                       drafts))
    return render("recurring/index.html", status=status, rules=shown, channels=channels,
                  channel_map={str(c.id): c for c in channels}, queues=queues,
                  repeats=REPEATS, weekdays=slots.WEEKDAYS, describe=describe, **context)


def _act(do, done: str):
    """Run a use case; the page again with its message, or with the error and nothing done."""
    try:
        do()
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return _page(status=exc.status, error=exc.message, form=request.form)
    return _page(message=done)


@bp.get("")
@require_setup_done
@login_required
def index():
    return _page()


@bp.post("")
@login_required
def create():
    def do():
        args = rule_from_form(request.form)
        rules.create_rule(db.session, current_workspace_id(), actor(),
                          channel_ids=request.form.getlist("channel_id"),
                          timezone=request.form.get("timezone") or None, **args)
    return _act(do, "Rule created; its posts of the next day are scheduled.")


@bp.post("/<uuid:rule_id>/edit")
@login_required
def edit(rule_id: uuid.UUID):
    def do():
        rules.update_rule(db.session, current_workspace_id(), rule_id, actor(),
                          **rule_from_form(request.form))
    return _act(do, "Rule saved; its scheduled posts follow it.")


@bp.post("/<uuid:rule_id>/pause")
@login_required
def pause(rule_id: uuid.UUID):
    return _act(lambda: rules.pause_rule(db.session, current_workspace_id(), rule_id, actor()),
                "Rule paused; its scheduled posts are canceled.")


@bp.post("/<uuid:rule_id>/resume")
@login_required
def resume(rule_id: uuid.UUID):
    return _act(lambda: rules.resume_rule(db.session, current_workspace_id(), rule_id, actor()),
                "Rule resumed from now on.")


@bp.post("/<uuid:rule_id>/delete")
@login_required
def delete(rule_id: uuid.UUID):
    return _act(lambda: rules.delete_rule(db.session, current_workspace_id(), rule_id, actor()),
                "Rule deleted; its scheduled posts are canceled.")


@bp.post("/channels/<uuid:channel_id>/slots")
@login_required
def add_slot(channel_id: uuid.UUID):
    return _act(lambda: slots.add_slots(db.session, current_workspace_id(), actor(), channel_id,
                                        request.form.getlist("weekday"),
                                        request.form.get("time", "")),
                "Posting slot added.")


@bp.post("/channels/<uuid:channel_id>/slots/<uuid:slot_id>/delete")
@login_required
def delete_slot(channel_id: uuid.UUID, slot_id: uuid.UUID):
    return _act(lambda: slots.delete_slot(db.session, current_workspace_id(), actor(),
                                          channel_id, slot_id), "Posting slot deleted.")


@bp.post("/posts/<uuid:post_id>/queue")
@login_required
def add_to_queue(post_id: uuid.UUID):
    return _act(lambda: slots.add_to_queue(db.session, current_workspace_id(), actor(),
                                           post_id), "Added to the queue.")


@bp.post("/channels/<uuid:channel_id>/queue/reorder")
@login_required
def reorder(channel_id: uuid.UUID):
    return _act(lambda: slots.reorder(db.session, current_workspace_id(), actor(), channel_id,
                                      request.form.getlist("post_id")), "Queue reordered.")


def ghosts(sess, workspace_id, days: list[date], tz_name: str, by_hour: bool) -> dict:
    """The calendar's ghost entries: times of active rules in the days shown that have no post
    yet (beyond the horizon), keyed like the calendar's cells, at most a few per cell."""
    tz = zone(tz_name)
    start = localize(datetime.combine(days[0], time()), tz)
    end = localize(datetime.combine(days[-1] + timedelta(days=1), time()), tz)
    now = db_now(sess)
    cells: dict = {}
    for rule in sess.scalars(sa.select(RecurringRule).where(
            RecurringRule.workspace_id == workspace_id, RecurringRule.paused.is_(False))):
        made = {o["occurs_at"] for o in reads.occurrences(sess, rule, now, 0) if o["post_id"]}
        for moment in upcoming(rule, max(start, now), 60):
            if moment >= end:
                break
            if moment in made:
                continue
            local = moment.astimezone(tz)
            key = (local.date(), local.hour) if by_hour else local.date()
            if len(cells.setdefault(key, [])) < 3:
                cells[key].append((local, rule))
    return cells
