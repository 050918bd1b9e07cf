"""Dashboard: recurring rules and posting slots; the calendar shows a rule's occurrences."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.posts.models import Post
from app.recurring.models import PostingSlot, RecurringRule


def test_a_rule_made_on_the_page_shows_its_occurrences_here_and_on_the_calendar(
        signed_in, make_channel, db):
    channel = make_channel(signed_in.workspace_id, timezone="Europe/Berlin")
    page = signed_in.post("/recurring", {"name": "Morning tips", "channel_id": str(channel.id),
                                         "text": "Tip of the day", "repeat": "daily",
                                         "time": "09:15"}, htmx=False)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Rule created" in html and "every day at 09:15" in html
    assert "— scheduled" in html and "— upcoming" in html
    posts = db.scalars(sa.select(Post).where(Post.workspace_id == signed_in.workspace_id)).all()
    assert posts and all(p.state == "scheduled" for p in posts)
    month = signed_in.get("/calendar").get_data(as_text=True)
    assert f'id="chip-{posts[0].id}"' in month  # a materialized occurrence is a real post
    week = signed_in.get("/calendar?view=week").get_data(as_text=True)
    assert "Tip of the day" in week
    # beyond the horizon: ghost entries, no posts yet
    later = (posts[0].schedule_at + timedelta(days=40)).date().isoformat()
    ahead = signed_in.get(f"/calendar?date={later}&tz_channel={channel.id}").get_data(as_text=True)
    assert ahead.count("chip-ghost") >= 20 and "09:15" in ahead and "Morning tips" in ahead


def test_a_bad_rule_on_the_page_names_the_problem_and_makes_nothing(signed_in, make_channel,
                                                                   db):
    channel = make_channel(signed_in.workspace_id)
    page = signed_in.post("/recurring", {"channel_id": str(channel.id), "text": "x",
                                         "repeat": "monthly", "day": "32nd fri",
                                         "time": "09:00"}, htmx=False)
    assert page.status_code == 422
    assert "invalid rule" in page.get_data(as_text=True)
    assert not db.scalars(sa.select(RecurringRule)).all()


def test_slots_and_add_to_queue_on_the_page(signed_in, make_channel, make_post, db):
    channel = make_channel(signed_in.workspace_id, timezone="America/New_York")
    page = signed_in.post(f"/recurring/channels/{channel.id}/slots",
                          {"weekday": ["tue", "thu"], "time": "12:30"}, htmx=False)
    assert page.status_code == 200 and "Tue 12:30" in page.get_data(as_text=True)
    assert len(db.scalars(sa.select(PostingSlot)).all()) == 2
    draft = make_post(channel, state="draft", text="queued words")
    page = signed_in.post(f"/recurring/posts/{draft.id}/queue", htmx=False)
    assert "Added to the queue" in page.get_data(as_text=True)
    db.expire_all()
    post = db.get(Post, draft.id)
    local = post.schedule_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert post.state == "scheduled" and local.strftime("%a %H:%M") in ("Tue 12:30", "Thu 12:30")


def test_edit_pause_resume_and_delete_on_the_page(signed_in, make_channel, db):
    channel = make_channel(signed_in.workspace_id)
    signed_in.post("/recurring", {"channel_id": str(channel.id), "text": "first words",
                                  "repeat": "days", "weekday": ["tue", "thu"],
                                  "time": "12:30"}, htmx=False)
    rule = db.scalars(sa.select(RecurringRule)).one()
    assert rule.cron == {"hour": 12, "minute": 30, "day_of_week": "tue,thu"}
    page = signed_in.post(f"/recurring/{rule.id}/edit", {"text": "second words",
                                                          "repeat": "monthly", "day": "1st mon",
                                                          "time": "09:00"}, htmx=False)
    html = page.get_data(as_text=True)
    assert "Rule saved" in html and "monthly on day 1st mon at 09:00" in html
    page = signed_in.post(f"/recurring/{rule.id}/pause", htmx=False)
    assert "Rule paused" in page.get_data(as_text=True) and ">paused<" in page.get_data(as_text=True)
    live = db.scalars(sa.select(Post).where(Post.workspace_id == signed_in.workspace_id,
                                            Post.state == "scheduled")).all()
    assert live == []
    assert "Rule resumed" in signed_in.post(f"/recurring/{rule.id}/resume",
                                            htmx=False).get_data(as_text=True)
    page = signed_in.post(f"/recurring/{rule.id}/delete", htmx=False)
    assert "Rule deleted" in page.get_data(as_text=True)
    assert "No recurring rules yet" in page.get_data(as_text=True)


def test_a_drafts_page_has_add_to_queue(signed_in, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    draft = make_post(channel, state="draft")
    html = signed_in.get(f"/posts/{draft.id}").get_data(as_text=True)
    assert f'action="/recurring/posts/{draft.id}/queue"' in html
    page = signed_in.post(f"/recurring/posts/{draft.id}/queue", htmx=False)
    assert page.status_code == 422 and "has no posting slots; add some first" in \
        page.get_data(as_text=True)
