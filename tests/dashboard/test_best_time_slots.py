"""Analytics page: a channel's suggested best times become its weekly posting slots in one
click, skipping the slots it has already."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from app.analytics.reads import MIN_SAMPLE
from app.analytics.service import collect_due_metrics
from app.recurring.models import PostingSlot
from tests.analytics.world import channel_for, publish
from tests.conftest import login
from tests.dashboard.conftest import Session


def _best_time_channel(db, workspace_id, platforms):
    """A channel with MIN_SAMPLE measured posts published at one weekday and hour."""
    account = platforms("mastodon")
    channel = channel_for(db, workspace_id, account)
    at = (datetime.now(UTC) - timedelta(days=2)).replace(hour=9, minute=5, second=0,
                                                         microsecond=0)
    for n in range(MIN_SAMPLE):
        publish(db, channel, account, f"morning post {n}", published_at=at + timedelta(minutes=n))
    assert collect_due_metrics(at + timedelta(hours=2)) == MIN_SAMPLE
    return channel, at


def _slots(db, channel):
    db.expire_all()
    return [(s.weekday, s.time) for s in db.scalars(
        sa.select(PostingSlot).where(PostingSlot.channel_id == channel.id))]


def test_best_times_become_posting_slots_once(signed_in, db, platforms):
    channel, at = _best_time_channel(db, signed_in.workspace_id, platforms)
    page = signed_in.get("/analytics?days=7").get_data(as_text=True)
    assert "Use as posting slots" in page
    url = f"/analytics/channels/{channel.id}/best-times/slots"
    forged = signed_in.post(url, {"days": "7"}, htmx=False, csrf=False)  # no CSRF token
    assert forged.status_code in (400, 403) and _slots(db, channel) == []
    answer = signed_in.post(url, {"days": "7"}, htmx=False)
    assert answer.status_code == 200
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[at.weekday()]
    assert f"Posting slots added to Mastodon {channel.handle}: {day} 09:00." in \
        answer.get_data(as_text=True)
    assert _slots(db, channel) == [(at.weekday(), time(9, 0))]
    again = signed_in.post(url, {"days": "7"}, htmx=False).get_data(as_text=True)
    assert "Nothing added" in again and _slots(db, channel) == [(at.weekday(), time(9, 0))]


def test_no_best_time_adds_nothing_and_says_why(signed_in, db, make_channel):
    channel = make_channel(signed_in.workspace_id)
    answer = signed_in.post(f"/analytics/channels/{channel.id}/best-times/slots",
                            {"days": "7"}, htmx=False)
    assert answer.status_code == 422
    assert "no suggested best time" in answer.get_data(as_text=True)
    assert _slots(db, channel) == []


def test_members_cannot_turn_best_times_into_slots(client, db, platforms, make_user, workspace):
    workspace_id, owner = workspace
    channel, _at = _best_time_channel(db, workspace_id, platforms)
    member = make_user(workspace=owner.memberships[0].workspace.name, role="member")
    login(client, member.email)
    session = Session(client, member, workspace_id)
    assert "Use as posting slots" not in session.get("/analytics?days=7").get_data(as_text=True)
    answer = session.post(f"/analytics/channels/{channel.id}/best-times/slots", {"days": "7"},
                          htmx=False)
    assert answer.status_code == 403 and _slots(db, channel) == []
