"""Posting slots: the next free slot, DST, and reordering the queue (all or nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import Conflict, ValidationFailed
from app.posts import service
from app.recurring import slots


def test_next_free_skips_a_taken_slot_and_follows_dst(db, workspace, make_channel):
    channel = make_channel(workspace[0], timezone="America/New_York")
    slots.add_slots(db, workspace[0], "user:test", channel.id, ["sun"], "02:30")
    slots.add_slots(db, workspace[0], "user:test", channel.id, ["sun"], "12:00")
    before = datetime(2027, 3, 13, 12, tzinfo=UTC)
    # 02:30 does not exist on 2027-03-14 in New York: the slot falls at 03:30 EDT
    first = slots.next_free(db, workspace[0], channel.id, after=before)
    assert first == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
    service.create_post(db, workspace[0], "test", channel_id=channel.id, text="taken",
                        schedule_at=first.isoformat())
    assert slots.next_free(db, workspace[0], channel.id, after=before) == \
        datetime(2027, 3, 14, 16, 0, tzinfo=UTC)  # 12:00 EDT


def test_bad_slots_are_refused_and_nothing_is_added(db, workspace, make_channel):
    channel = make_channel(workspace[0])
    for days, at, words in ((["tue"], "7:5", "HH:MM"), (["someday"], "12:00", "weekday must be"),
                            ([], "12:00", "at least one weekday")):
        with pytest.raises(ValidationFailed, match=words):
            slots.add_slots(db, workspace[0], "user:test", channel.id, days, at)
    assert slots.list_slots(db, workspace[0], channel.id) == []


def test_reorder_swaps_times_and_refuses_a_post_that_is_not_queued(db, workspace, make_channel):
    channel = make_channel(workspace[0])
    now = datetime.now(UTC)
    posts = [service.create_post(db, workspace[0], "test", channel_id=channel.id, text=f"p{i}",
                                 schedule_at=(now + timedelta(days=i + 1)).isoformat())
             for i in range(3)]
    times = [p.schedule_at for p in posts]
    draft = service.create_post(db, workspace[0], "test", channel_id=channel.id, text="d")
    with pytest.raises(Conflict, match="only posts still to come can move"):
        slots.reorder(db, workspace[0], "user:test", channel.id, [posts[1].id, draft.id])
    db.rollback()
    assert [service.get_post(db, workspace[0], p.id).schedule_at for p in posts] == times
    slots.reorder(db, workspace[0], "user:test", channel.id, [posts[1].id, posts[0].id])
    db.expire_all()
    assert service.get_post(db, workspace[0], posts[1].id).schedule_at == times[0]
    assert service.get_post(db, workspace[0], posts[0].id).schedule_at == times[1]
    assert service.get_post(db, workspace[0], posts[2].id).schedule_at == times[2]
