"""Recurring rules: a post template repeated on a cron-like rule in an IANA time zone.

The use cases (create, edit, pause, resume, delete, read); the rule's times are in times.py,
making its posts in materialize.py, and its job in the job store in jobs/recurring.py.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.channels.compose_options import check_options
from app.errors import Conflict, NotFound, ValidationFailed
from app.posts import service as posts
from app.posts.lifecycle import PostState, transition
from app.posts.models import Post, PostEvent
from app.recurring.materialize import (
    content_for,
    horizon,
    job_id,
    materialize,
    schedule_job,
)
from app.recurring.models import RecurringRule, RuleOccurrence
from app.recurring.times import (
    MAX_COUNT,
    fire_times,
    last_time,
    make_trigger,
    rule_trigger,
    upcoming,
)
from app.timeutil import iso, parse_schedule, zone

log = logging.getLogger(__name__)
MAX_AHEAD = 1000  # posts one rule may have made ahead at once (times × channels)
MAX_CHANNELS = 20


def _live_occurrences(sess: Session, rule_id) -> list[tuple[RuleOccurrence, Post]]:
    """The rule's posts not publishing yet (scheduled), locked."""
    return list(sess.execute(
        sa.select(RuleOccurrence, Post).join(Post, Post.id == RuleOccurrence.post_id)
        .where(RuleOccurrence.rule_id == rule_id, Post.state == PostState.SCHEDULED.value)
        .order_by(RuleOccurrence.occurs_at).with_for_update(of=Post)))


def _withdraw(sess: Session, occurrence: RuleOccurrence, post: Post, actor: str,
              why: str) -> None:
    """Cancel an occurrence's scheduled post and forget the occurrence (it may be made anew)."""
    transition(sess, post, PostState.CANCELED, actor=actor, detail={"rule": why})
    if why != "deleted":  # a deleted rule's occurrences go with it
        sess.delete(occurrence)


# -- use cases ----------------------------------------------------------------------------------

def get_rule(sess: Session, workspace_id, rule_id, *, lock: bool = False) -> RecurringRule:
    query = sa.select(RecurringRule).where(RecurringRule.id == rule_id,
                                           RecurringRule.workspace_id == workspace_id)
    rule = sess.scalar(query.with_for_update() if lock else query)
    if rule is None:
        raise NotFound("no such recurring rule in this workspace")
    return rule


def list_rules(sess: Session, workspace_id) -> list[RecurringRule]:
    return list(sess.scalars(sa.select(RecurringRule).where(
        RecurringRule.workspace_id == workspace_id).order_by(RecurringRule.created_at,
                                                             RecurringRule.id)))


def _time(value, tz_name: str, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else parse_schedule(value, tz_name, field=field)


def _check(sess: Session, rule: RecurringRule, now: datetime) -> None:
    """Everything about the rule, refused with ValidationFailed before anything is written."""
    channels = _check_channels(sess, rule)
    rule.timezone = rule.timezone or channels[0].timezone
    zone(rule.timezone)
    rule.text, rule.parts, rule.media_ids = posts._content(
        sess, rule.workspace_id, rule.text, rule.parts, rule.media_ids)
    rule.overrides = {k: v for k, v in (rule.overrides or {}).items() if v and v.strip()}
    for field in ("overrides", "options"):
        for key in getattr(rule, field) or {}:
            if key not in rule.channel_ids:
                raise ValidationFailed(f"{key!r} is not one of the rule's channels", field=field)
    _check_times(rule, now, len(channels))
    for channel in channels:
        _check_channel_post(sess, rule, channel)


def _check_channels(sess: Session, rule: RecurringRule) -> list:
    ids = list(dict.fromkeys(str(c) for c in rule.channel_ids or []))
    if not ids:
        raise ValidationFailed("choose at least one channel", field="channel_ids")
    if len(ids) > MAX_CHANNELS:
        raise ValidationFailed(f"at most {MAX_CHANNELS} channels a rule", field="channel_ids")
    channels = []
    for raw in ids:
        try:
            channels.append(posts.channel_in_workspace(sess, rule.workspace_id, uuid.UUID(raw)))
        except ValueError as exc:
            raise ValidationFailed(f"channel_ids: {raw!r} is not a channel id",
                                   field="channel_ids") from exc
    rule.channel_ids = [str(c.id) for c in channels]
    return channels


def _check_times(rule: RecurringRule, now: datetime, channels: int) -> None:
    if rule.count is not None and not 1 <= rule.count <= MAX_COUNT:
        raise ValidationFailed(f"count must be 1 to {MAX_COUNT}", field="count")
    if rule.ends_at is not None:
        if rule.ends_at <= now:
            raise ValidationFailed("ends_at is in the past", field="ends_at")
        if rule.ends_at <= rule.starts_at:
            raise ValidationFailed("ends_at is before starts_at", field="ends_at")
    make_trigger(rule.cron, rule.timezone, rule.starts_at, rule.ends_at)
    end = last_time(rule)
    if end is not None and end < now:
        raise ValidationFailed("the rule's occurrences all lie in the past", field="count")
    following = upcoming(rule, now, 1)
    if not following:
        raise ValidationFailed("the rule never fires after now: check its fields and end",
                               field="rule")
    times = sum(1 for _ in fire_times(rule_trigger(rule), following[0],
                                      following[0] + horizon(), limit=MAX_AHEAD + 1))
    if times * channels > MAX_AHEAD:
        raise ValidationFailed(f"the rule would keep more than {MAX_AHEAD} posts scheduled "
                               f"ahead ({horizon().total_seconds() / 3600:g} hours); make it "
                               "fire less often", field="rule")


def _check_channel_post(sess: Session, rule: RecurringRule, channel) -> None:
    """What the channel could not publish is refused now, as the composer does; a
    disconnected channel is let through (its posts fail at their time, README.md)."""
    options = dict((rule.options or {}).get(str(channel.id)) or {})
    check_options(channel.platform, channel.settings or {}, options)
    if channel.status != "connected":
        return
    trial = Post(workspace_id=rule.workspace_id, channel_id=channel.id,
                 **content_for(rule, str(channel.id)), media_ids=list(rule.media_ids),
                 options=options)
    try:
        posts.check_publishable(sess, channel, trial)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{channel.platform} {channel.handle}: {exc.message}",
                               field=exc.field) from exc


def _summary(rule: RecurringRule) -> dict:
    return {"name": rule.name, "channel_ids": list(rule.channel_ids), "rule": dict(rule.cron),
            "timezone": rule.timezone, "starts_at": iso(rule.starts_at),
            "ends_at": iso(rule.ends_at), "count": rule.count, "paused": rule.paused}


def create_rule(sess: Session, workspace_id, actor: str, *, channel_ids, rule: dict,
                text=None, parts=None, media_ids=(), options=None, overrides=None,
                timezone=None, starts_at=None, ends_at=None, count=None, name="") -> RecurringRule:
    now = posts.db_now(sess)
    tz_name = timezone
    if tz_name is not None:
        zone(tz_name)
    elif channel_ids:
        try:
            tz_name = posts.channel_in_workspace(sess, workspace_id,
                                                 uuid.UUID(str(list(channel_ids)[0]))).timezone
        except ValueError:
            tz_name = None
    made = RecurringRule(
        id=uuid.uuid4(), workspace_id=workspace_id, name=(name or "")[:200],
        channel_ids=[str(c) for c in channel_ids or []], text=text, parts=parts,
        media_ids=[str(m) for m in media_ids or []], options=dict(options or {}),
        overrides=dict(overrides or {}), timezone=tz_name, cron=dict(rule or {}),
        starts_at=_time(starts_at, tz_name or "UTC", "starts_at") or now,
        ends_at=_time(ends_at, tz_name or "UTC", "ends_at"), count=count, not_before=now,
        paused=False, created_by=actor)
    _check(sess, made, now)
    sess.add(made)
    sess.flush()
    audit.record(sess, workspace_id, actor, "recurring_rule.created", target_type="recurring_rule",
                 target_id=made.id, after=_summary(made))
    materialize(sess, made, now, actor=actor)
    sess.commit()
    _schedule_job(sess, made)
    return made


def update_rule(sess: Session, workspace_id, rule_id, actor: str, **changes) -> RecurringRule:
    """Edit a rule. Its future scheduled posts follow: one whose time and channel remain gets
    the new content; the others are canceled, and the new times are materialized. Published,
    publishing, failed, canceled posts and those turned back into drafts stay as they are."""
    rule = get_rule(sess, workspace_id, rule_id, lock=True)
    before = _summary(rule)
    now = posts.db_now(sess)
    allowed = {"channel_ids", "rule", "text", "parts", "media_ids", "options", "overrides",
               "timezone", "starts_at", "ends_at", "count", "name"}
    for key, value in changes.items():
        if key not in allowed:
            raise ValidationFailed(f"unknown field {key!r}", field=key)
        if key == "rule":
            rule.cron = dict(value or {})
        elif key in ("starts_at", "ends_at"):
            setattr(rule, key, _time(value, changes.get("timezone") or rule.timezone, key)
                    or (now if key == "starts_at" else None))
        elif key == "channel_ids":
            rule.channel_ids = [str(c) for c in value or []]
        elif key == "media_ids":
            rule.media_ids = [str(m) for m in value or []]
        elif key == "text" and value is not None and "parts" not in changes:
            rule.text, rule.parts = value, None
        elif key == "parts" and value is not None and "text" not in changes:
            rule.text, rule.parts = None, value
        else:
            setattr(rule, key, value)
    with sess.no_autoflush:
        _check(sess, rule, now)
    rule.not_before = now
    _follow(sess, rule, now, actor)
    audit.record(sess, workspace_id, actor, "recurring_rule.updated", target_type="recurring_rule",
                 target_id=rule.id, before=before, after=_summary(rule))
    sess.commit()
    _schedule_job(sess, rule)
    return rule


def _follow(sess: Session, rule: RecurringRule, now: datetime, actor: str) -> None:
    live = _live_occurrences(sess, rule.id)
    latest = max([o.occurs_at for o, _ in live], default=now)
    wanted = set() if rule.paused else {
        t for t in fire_times(rule_trigger(rule), now, min(filter(None, (
            last_time(rule), max(latest, now + horizon() * 2)))))}
    for occurrence, post in live:
        if occurrence.occurs_at in wanted and str(post.channel_id) in rule.channel_ids:
            content = content_for(rule, str(post.channel_id))
            post.text, post.parts = content["text"], content["parts"]
            post.media_ids = list(rule.media_ids or [])
            post.options = dict((rule.options or {}).get(str(post.channel_id)) or {})
            post.timezone = rule.timezone
            sess.add(PostEvent(post_id=post.id, workspace_id=rule.workspace_id,
                               from_state=post.state, to_state=post.state, actor=actor,
                               detail={"edited": True, "rule_id": str(rule.id)}))
        else:
            _withdraw(sess, occurrence, post, actor, "edited")
    sess.flush()
    materialize(sess, rule, now, actor=actor)


def pause_rule(sess: Session, workspace_id, rule_id, actor: str) -> RecurringRule:
    """No new occurrences; the rule's scheduled posts are canceled (resume makes those still
    ahead anew)."""
    rule = get_rule(sess, workspace_id, rule_id, lock=True)
    if rule.paused:
        raise Conflict("the rule is paused already", field="paused")
    rule.paused = True
    for occurrence, post in _live_occurrences(sess, rule.id):
        _withdraw(sess, occurrence, post, actor, "paused")
    audit.record(sess, workspace_id, actor, "recurring_rule.paused", target_type="recurring_rule",
                 target_id=rule.id)
    sess.commit()
    from jobs import schedule_store

    schedule_store.pause_job(_engine(sess), job_id(rule.id))
    return rule


def resume_rule(sess: Session, workspace_id, rule_id, actor: str) -> RecurringRule:
    """Occurrences from now on are made again; those missed while paused are not."""
    rule = get_rule(sess, workspace_id, rule_id, lock=True)
    if not rule.paused:
        raise Conflict("the rule is not paused", field="paused")
    now = posts.db_now(sess)
    if not upcoming(rule, now, 1):
        raise ValidationFailed("the rule has no occurrence left to resume", field="rule")
    rule.paused, rule.not_before = False, now
    audit.record(sess, workspace_id, actor, "recurring_rule.resumed",
                 target_type="recurring_rule", target_id=rule.id)
    materialize(sess, rule, now, actor=actor)
    sess.commit()
    _schedule_job(sess, rule)
    return rule


def delete_rule(sess: Session, workspace_id, rule_id, actor: str) -> None:
    """The rule goes; its scheduled posts are canceled, the rest stay for the record."""
    rule = get_rule(sess, workspace_id, rule_id, lock=True)
    for occurrence, post in _live_occurrences(sess, rule.id):
        _withdraw(sess, occurrence, post, actor, "deleted")
    audit.record(sess, workspace_id, actor, "recurring_rule.deleted",
                 target_type="recurring_rule", target_id=rule.id, before=_summary(rule))
    sess.delete(rule)
    sess.commit()
    from jobs import schedule_store

    schedule_store.remove_job(_engine(sess), job_id(rule.id))


# -- the rule's job ---------------------------------------------------------------------------

def _engine(sess: Session) -> sa.Engine:
    bind = sess.get_bind()
    return bind if isinstance(bind, sa.Engine) else bind.engine


def _schedule_job(sess: Session, rule: RecurringRule) -> None:
    """After the rule's commit. Should the store be out of reach now, the scheduler's
    `recurring_jobs` duty gives the rule its job within OPENPOST_MAINTENANCE_SECONDS."""
    try:
        schedule_job(_engine(sess), rule)
    except sa.exc.DBAPIError as exc:
        log.warning("the job of recurring rule %s is left to the scheduler (%s)", rule.id,
                    type(exc).__name__)
