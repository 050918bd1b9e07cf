"""Recurring rules: materialized ahead, once; DST; edit, pause, delete; bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.errors import Conflict, ValidationFailed
from app.posts.models import Post, PostEvent
from app.recurring import rules
from app.recurring.materialize import materialize
from app.recurring.models import RecurringRule
from app.recurring.times import upcoming


def _posts(db, rule):
    """Every post the rule made (its occurrence row goes when a post is withdrawn)."""
    return list(db.scalars(sa.select(Post).where(Post.created_by == f"recurring:{rule.id}")
                           .order_by(Post.schedule_at)))


def _db_now(db):
    return db.scalar(sa.select(sa.func.now()))


def _hourly(db, workspace, make_channel, **kw):
    channel = make_channel(workspace[0], timezone="Europe/Berlin")
    args = {"channel_ids": [channel.id], "text": "standup notes", "rule": {"minute": 0}} | kw
    return channel, rules.create_rule(db, workspace[0], "user:test", **args)


def test_a_rule_makes_its_posts_ahead_in_the_channel_zone_and_a_rerun_makes_none(
        db, workspace, make_channel):
    channel, rule = _hourly(db, workspace, make_channel)
    assert rule.timezone == "Europe/Berlin"
    made = _posts(db, rule)
    now = _db_now(db)
    # every hour from now through the horizon (24 h) beyond the next run: 25 posts
    assert len(made) == 25
    assert all(p.state == "scheduled" and p.channel_id == channel.id and p.text == "standup notes"
               for p in made)
    assert made[0].schedule_at > now and made[-1].schedule_at - now >= timedelta(hours=24)
    assert materialize(db, rule, now) == 0
    assert materialize(db, rule, made[0].schedule_at - timedelta(seconds=1)) == 0
    # an hour on, the window (next time + 24 h) has moved by two times
    assert materialize(db, rule, made[0].schedule_at + timedelta(hours=1, seconds=1)) == 2
    assert len(_posts(db, rule)) == 27
    event = db.scalar(sa.select(PostEvent).where(PostEvent.post_id == made[0].id))
    assert event.to_state == "scheduled" and event.detail["rule_id"] == str(rule.id)


def test_first_monday_in_new_york_and_a_count(db, workspace, make_channel):
    channel = make_channel(workspace[0], timezone="America/New_York")
    rule = rules.create_rule(db, workspace[0], "user:test", channel_ids=[channel.id],
                             text="monthly digest", count=3, starts_at="2027-01-01T00:00:00Z",
                             rule={"day": "1st mon", "hour": 9, "minute": 0})
    times = upcoming(rule, datetime(2026, 12, 31, tzinfo=UTC), 10)
    assert [t.isoformat() for t in times] == [  # 09:00 EST = 14:00 UTC; count 3 ends it
        "2027-01-04T14:00:00+00:00", "2027-02-01T14:00:00+00:00", "2027-03-01T14:00:00+00:00"]


@pytest.mark.parametrize("zone_name, day, clock, expected", [
    # spring forward: 02:30 does not exist on 2027-03-14 in New York; it fires at 03:30 EDT
    ("America/New_York", "2027-03-13", "02:30",
     ["2027-03-13T07:30:00+00:00", "2027-03-14T07:30:00+00:00", "2027-03-15T06:30:00+00:00"]),
    # fall back: 01:30 happens twice on 2027-11-07; it fires once, at the first (EDT)
    ("America/New_York", "2027-11-06", "01:30",
     ["2027-11-06T05:30:00+00:00", "2027-11-07T05:30:00+00:00", "2027-11-08T06:30:00+00:00"]),
    # the same in Berlin: 02:30 is skipped on 2027-03-28, 02:30 repeats on 2027-10-31
    ("Europe/Berlin", "2027-03-27", "02:30",
     ["2027-03-27T01:30:00+00:00", "2027-03-28T01:30:00+00:00", "2027-03-29T00:30:00+00:00"]),
    ("Europe/Berlin", "2027-10-30", "02:30",
     ["2027-10-30T00:30:00+00:00", "2027-10-31T00:30:00+00:00", "2027-11-01T01:30:00+00:00"]),
])
def test_dst_skipped_time_fires_an_hour_later_and_a_repeated_one_once(
        db, workspace, make_channel, zone_name, day, clock, expected):
    channel = make_channel(workspace[0], timezone=zone_name)
    hour, minute = clock.split(":")
    rule = rules.create_rule(db, workspace[0], "user:test", channel_ids=[channel.id],
                             text="daily", starts_at=f"{day}T00:00:00",
                             rule={"hour": int(hour), "minute": int(minute)})
    start = datetime.fromisoformat(expected[0]) - timedelta(minutes=1)
    assert [t.isoformat() for t in upcoming(rule, start, 3)] == expected
    # materialized as posts, once each, across the change
    materialize(db, rule, start, timedelta(hours=72))
    assert materialize(db, rule, start, timedelta(hours=72)) == 0
    times = [p.schedule_at.isoformat() for p in _posts(db, rule)
             if p.schedule_at <= datetime.fromisoformat(expected[-1])]
    assert times == expected


def test_an_edit_changes_future_posts_and_leaves_published_ones(db, workspace, make_channel):
    channel, rule = _hourly(db, workspace, make_channel)
    first, second, *rest = _posts(db, rule)
    first.state, first.published_at = "published", _db_now(db)  # as the engine leaves it
    db.flush()
    rules.update_rule(db, workspace[0], rule.id, "user:test", text="new notes",
                      rule={"minute": 30})
    db.expire_all()
    assert db.get(Post, first.id).text == "standup notes"
    assert db.get(Post, first.id).state == "published"
    assert {db.get(Post, p.id).state for p in [second, *rest]} == {"canceled"}  # :00 is gone
    live = [p for p in _posts(db, rule) if p.state == "scheduled"]
    assert len(live) >= 24 and all(p.text == "new notes" and
                                   p.schedule_at.minute == 30 for p in live)
    # a content-only edit updates the same posts in place
    ids = {p.id for p in live}
    rules.update_rule(db, workspace[0], rule.id, "user:test", text="third text")
    db.expire_all()
    live = [p for p in _posts(db, rule) if p.state == "scheduled"]
    assert {p.id for p in live} == ids and {p.text for p in live} == {"third text"}


def test_pause_cancels_what_is_ahead_and_makes_nothing_resume_starts_again(
        db, workspace, make_channel):
    _channel, rule = _hourly(db, workspace, make_channel)
    rules.pause_rule(db, workspace[0], rule.id, "user:test")
    assert {p.state for p in _posts(db, rule)} == {"canceled"}
    assert materialize(db, rule, _db_now(db) + timedelta(hours=3)) == 0
    with pytest.raises(Conflict, match="paused already"):
        rules.pause_rule(db, workspace[0], rule.id, "user:test")
    rules.resume_rule(db, workspace[0], rule.id, "user:test")
    assert len([p for p in _posts(db, rule) if p.state == "scheduled"]) == 25


def test_delete_cancels_the_scheduled_posts_and_keeps_the_published(
        db, workspace, make_channel):
    _channel, rule = _hourly(db, workspace, make_channel)
    first, *rest = _posts(db, rule)
    first.state = "published"
    db.flush()
    rules.delete_rule(db, workspace[0], rule.id, "user:test")
    db.expire_all()
    assert db.get(RecurringRule, rule.id) is None
    assert db.get(Post, first.id).state == "published"
    assert {db.get(Post, p.id).state for p in rest} == {"canceled"}


def test_a_disconnected_channel_still_gets_its_occurrences(db, workspace, make_channel):
    from app.channels import service as channels

    channel = make_channel(workspace[0])
    channels.mark_disconnected(db, channel, "token revoked")
    rule = rules.create_rule(db, workspace[0], "user:test", channel_ids=[channel.id],
                             text="still here", rule={"minute": 0})
    assert {p.state for p in _posts(db, rule)} == {"scheduled"}  # they fail at their time


@pytest.mark.parametrize("change, message", [
    ({"rule": {"hour": "25"}}, "invalid rule"),
    ({"rule": {"weekday": "mon"}}, "unknown rule field 'weekday'"),
    ({"rule": {}}, "give the rule as cron fields"),
    ({"ends_at": "2020-01-01T00:00:00Z"}, "ends_at is in the past"),
    ({"timezone": "Mars/Olympus"}, "unknown timezone 'Mars/Olympus'"),
    ({"count": 0}, "count must be 1 to 1000"),
    ({"text": "   "}, "text is empty"),
    ({"rule": {"year": "2020"}}, "never fires after now"),
    ({"rule": {"minute": "*"}}, "more than 1000 posts scheduled ahead"),
])
def test_bad_input_names_the_problem_and_changes_nothing(
        db, workspace, make_channel, change, message):
    channel = make_channel(workspace[0])
    args = {"channel_ids": [channel.id], "text": "hi", "rule": {"minute": 0}} | change
    with pytest.raises(ValidationFailed, match=message):
        rules.create_rule(db, workspace[0], "user:test", **args)
    db.rollback()
    assert not db.scalars(sa.select(RecurringRule).where(
        RecurringRule.workspace_id == workspace[0])).all()
    assert not db.scalars(sa.select(Post).where(Post.workspace_id == workspace[0])).all()
    # and an edit with it leaves the rule and its posts as they were
    _c, rule = _hourly(db, workspace, make_channel)
    before = [(p.id, p.text, p.schedule_at) for p in _posts(db, rule)]
    with pytest.raises(ValidationFailed, match=message):
        rules.update_rule(db, workspace[0], rule.id, "user:test", **change)
    db.rollback()
    db.expire_all()
    assert [(p.id, p.text, p.schedule_at) for p in _posts(db, rule)] == before
    assert db.get(RecurringRule, rule.id).cron == {"minute": 0}


def test_the_posts_of_a_rule_send_webhooks_and_the_rule_is_audited(db, workspace, make_channel):
    from app.audit.models import AuditEntry
    from app.outbox.models import OutboxMessage
    from app.webhooks import service as webhooks

    webhooks.create_endpoint(db, workspace[0], "test", url="https://hooks.example.com/openpost")
    _channel, rule = _hourly(db, workspace, make_channel)
    made = _posts(db, rule)
    sent = db.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.workspace_id == workspace[0], OutboxMessage.kind == "webhook",
        OutboxMessage.event_type == "post.scheduled")).all()
    assert len(sent) == len(made) == 25
    rules.pause_rule(db, workspace[0], rule.id, "user:test")
    canceled = db.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.workspace_id == workspace[0],
        OutboxMessage.event_type == "post.canceled")).all()
    assert len(canceled) == 25
    actions = db.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.workspace_id == workspace[0], AuditEntry.target_id == str(rule.id))).all()
    assert set(actions) == {"recurring_rule.created", "recurring_rule.paused"}
