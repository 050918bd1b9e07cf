"""Materializing a recurring rule: the posts of its coming occurrences, each made once.

A rule's occurrences are APScheduler CronTrigger fire times (day_of_week="mon-fri", hour=9;
day="1st mon"), read in the rule's zone, from `starts_at` until `ends_at` or the `count`-th.
Each rule has a job `recurring:<id>` in the job store (jobs/schedule_store.py) on that same
trigger; a run of it (jobs/recurring.py) materializes every occurrence up to the horizon
beyond its next run, so at every moment the posts of the coming horizon exist. The same
happens at once when a rule is created, edited or resumed.

Materializing is idempotent: each (rule, occurrence time, channel) is a unique row of
`recurring_occurrences`, inserted with ON CONFLICT DO NOTHING before its post is made, so a
re-run, a late catch-up run or a second process never makes a post twice.

DST (docs in README.md, Recurring posts): a wall time the clocks skip fires at the same
instant it would have without the change (02:30 on a spring-forward night fires at 03:30);
a wall time that happens twice fires once, at its first instance.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.channels.models import Channel
from app.posts import service as posts
from app.posts.lifecycle import PostState, transition
from app.posts.models import Post
from app.recurring.models import RecurringRule, RuleOccurrence
from app.recurring.times import SCAN_LIMIT, fire_times, last_time, rule_trigger
from app.timeutil import iso

JOB_PREFIX = "recurring:"
JOB_FUNC = "jobs.recurring:materialize"
# An occurrence that could not be made before its time (no scheduler ran for longer than the
# horizon) is still made this late, and published at once; older ones are skipped.
CATCH_UP = timedelta(hours=1)


def horizon() -> timedelta:
    from jobs.config import EngineConfig

    return timedelta(hours=EngineConfig.from_env().recurring_horizon_hours)


def job_id(rule_id) -> str:
    return f"{JOB_PREFIX}{rule_id}"


def materialize(sess: Session, rule: RecurringRule, now: datetime,
                ahead: timedelta | None = None, actor: str | None = None) -> int:
    """Make the posts of every occurrence up to `ahead` beyond the rule's next time after
    `now` (none while paused). Returns how many posts were made. The caller commits."""
    if rule.paused:
        return 0
    ahead = horizon() if ahead is None else ahead
    trigger, end = rule_trigger(rule), last_time(rule)
    following = next(fire_times(trigger, now, end, limit=SCAN_LIMIT), None)
    until = (following or now) + ahead
    if end is not None:
        until = min(until, end)
    start = max(rule.starts_at, rule.not_before, now - CATCH_UP)
    channels = {str(c.id): c for c in sess.scalars(sa.select(Channel).where(
        Channel.workspace_id == rule.workspace_id,
        Channel.id.in_([uuid.UUID(c) for c in rule.channel_ids])))}
    actor = actor or f"{JOB_PREFIX}{rule.id}"
    made_already = {tuple(row) for row in sess.execute(
        sa.select(RuleOccurrence.occurs_at, RuleOccurrence.channel_id).where(
            RuleOccurrence.rule_id == rule.id, RuleOccurrence.occurs_at >= start,
            RuleOccurrence.occurs_at <= until))}
    made = 0
    for moment in fire_times(trigger, start, until):
        for channel_id in rule.channel_ids:
            channel = channels.get(channel_id)
            # a deleted channel is left out; the others still get theirs
            if channel is not None and (moment, channel.id) not in made_already:
                made += _make_one(sess, rule, channel, moment, actor)
    return made


def _make_one(sess: Session, rule: RecurringRule, channel: Channel, moment: datetime,
              actor: str) -> bool:
    """The occurrence's row, then its post; False when the row exists (an earlier run, or
    another process just now: the unique key makes it wait for that one, then skip)."""
    row = sess.execute(insert(RuleOccurrence).values(
        rule_id=rule.id, occurs_at=moment, channel_id=channel.id
    ).on_conflict_do_nothing(constraint="uq_recurring_occurrences_once")
        .returning(RuleOccurrence.id)).scalar()
    if row is None:
        return False
    post = _post_for(sess, rule, channel, moment, uuid.uuid5(rule.id, moment.isoformat()))
    transition(sess, post, PostState.SCHEDULED, actor=actor,
               detail={"rule_id": str(rule.id), "occurs_at": iso(moment)})
    sess.execute(sa.update(RuleOccurrence).where(RuleOccurrence.id == row)
                 .values(post_id=post.id))
    return True


def content_for(rule: RecurringRule, channel_id: str) -> dict:
    override = (rule.overrides or {}).get(channel_id)
    if override and override.strip():
        return {"text": override, "parts": None}
    return {"text": rule.text, "parts": rule.parts}


def _post_for(sess: Session, rule: RecurringRule, channel: Channel, moment: datetime,
              group_id: uuid.UUID) -> Post:
    post = Post(id=uuid.uuid4(), workspace_id=rule.workspace_id, channel_id=channel.id,
                group_id=group_id, state=None, schedule_at=moment, timezone=rule.timezone,
                **content_for(rule, str(channel.id)), media_ids=list(rule.media_ids or []),
                options=dict((rule.options or {}).get(str(channel.id)) or {}),
                created_by=f"{JOB_PREFIX}{rule.id}", results=[], warnings=[])
    posts._convert_ahead(sess, channel, post)
    sess.add(post)
    return post


def schedule_job(engine: sa.Engine, rule: RecurringRule) -> None:
    """The rule's job in the job store, on the rule's own trigger (paused: no next run)."""
    from app.recurring.times import job_trigger
    from jobs import schedule_store

    schedule_store.add_job(engine, JOB_FUNC, job_trigger(rule), id=job_id(rule.id),
                           args=(str(rule.id),), name=f"recurring rule {rule.name or rule.id}")
    if rule.paused:
        schedule_store.pause_job(engine, job_id(rule.id))
