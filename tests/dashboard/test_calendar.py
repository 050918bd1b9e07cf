"""The calendar: days and hours in the chosen timezone, capped cells, drag-to-move."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.posts.models import Post
from tests.conftest import login
from tests.dashboard.conftest import Session


def _cell(html: str, day: str, hour: int | None = None) -> str:
    hour_attr = rf' data-hour="{hour}"' if hour is not None else ""
    match = re.search(rf'<td class="[^"]*" data-day="{day}"{hour_attr}.*?</td>', html, re.S)
    assert match, f"no cell for {day} {hour}"
    return match.group(0)


@pytest.fixture
def auckland(client, make_user):
    """Signed in to a workspace whose timezone is far from UTC."""
    user = make_user(timezone="Pacific/Auckland")
    workspace_id = user.memberships[0].workspace_id
    login(client, user.email)
    return Session(client, user, workspace_id)


def _next_month_noon_utc() -> datetime:
    now = datetime.now(UTC)
    return (now.replace(day=1) + timedelta(days=40)).replace(day=10, hour=15, minute=30,
                                                             second=0, microsecond=0)


def test_month_places_chips_on_the_workspace_day_with_their_state(auckland, make_channel,
                                                                  make_post):
    channel = make_channel(auckland.workspace_id, timezone="America/New_York")
    when = _next_month_noon_utc()  # 15:30 UTC is 04:30 next day in Auckland
    post = make_post(channel, text="kiwi morning", when=when)
    html = auckland.get(f"/calendar?date={when.date().isoformat()}").get_data(as_text=True)
    local_day = when.astimezone(ZoneInfo("Pacific/Auckland")).date().isoformat()
    cell = _cell(html, local_day)
    assert f'id="chip-{post.id}"' in cell and "scheduled" in cell and "kiwi morning" in cell
    assert f"/posts/{post.id}" in cell  # the chip opens the post
    # Seen in the channel's timezone, the same post sits on the UTC day (11:30 in New York).
    html = auckland.get(f"/calendar?date={when.date().isoformat()}&tz_channel={channel.id}"
                        ).get_data(as_text=True)
    assert f'id="chip-{post.id}"' in _cell(html, when.date().isoformat())
    assert "America/New_York" in html


def test_week_view_places_chips_in_hour_slots(signed_in, make_channel, make_post):
    when = _next_month_noon_utc()
    post = make_post(make_channel(signed_in.workspace_id), when=when)
    html = signed_in.get(f"/calendar?view=week&date={when.date().isoformat()}").get_data(as_text=True)
    assert f'id="chip-{post.id}"' in _cell(html, when.date().isoformat(), 15)


def test_a_busy_day_shows_a_few_chips_and_how_many_more(signed_in, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    when = _next_month_noon_utc()
    for i in range(7):
        make_post(channel, text=f"busy {i}", when=when + timedelta(minutes=i))
    cell = _cell(signed_in.get(f"/calendar?date={when.date().isoformat()}").get_data(as_text=True),
                 when.date().isoformat())
    assert cell.count('class="chip ') == 4 and "+3 more" in cell


def test_drop_moves_the_post_keeping_its_local_time(auckland, db, make_channel, make_post):
    when = _next_month_noon_utc()
    post = make_post(make_channel(auckland.workspace_id), when=when)
    local = when.astimezone(ZoneInfo("Pacific/Auckland"))
    target = (local + timedelta(days=3)).date()
    answer = auckland.post("/calendar/move", {"post_id": post.id, "day": target.isoformat(),
                                              "date": target.isoformat(), "view": "month"})
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "Moved to" in html and f'id="chip-{post.id}"' in _cell(html, target.isoformat())
    db.expire_all()
    moved = db.get(Post, post.id).schedule_at
    assert moved == local.replace(day=target.day, month=target.month, year=target.year)
    assert db.get(Post, post.id).state == "scheduled"


def test_drop_on_a_week_slot_sets_the_hour(signed_in, db, make_channel, make_post):
    when = _next_month_noon_utc()
    post = make_post(make_channel(signed_in.workspace_id), when=when)
    target = (when + timedelta(days=1)).date().isoformat()
    answer = signed_in.post("/calendar/move", {"post_id": post.id, "day": target, "hour": "8",
                                               "view": "week", "date": target})
    assert answer.status_code == 200
    db.expire_all()
    assert db.get(Post, post.id).schedule_at == (when + timedelta(days=1)).replace(hour=8)


def test_a_failed_post_dropped_on_a_day_is_retried_then(signed_in, db, make_channel, make_post):
    when = _next_month_noon_utc()
    post = make_post(make_channel(signed_in.workspace_id), "failed", when=when)
    target = (when + timedelta(days=2)).date().isoformat()
    assert signed_in.post("/calendar/move", {"post_id": post.id, "day": target}).status_code == 200
    db.expire_all()
    assert db.get(Post, post.id).state == "scheduled"


@pytest.mark.parametrize("state", ["publishing", "published"])
def test_a_post_that_can_no_longer_move_is_refused_with_a_message(signed_in, db, make_channel,
                                                                  make_post, state):
    when = _next_month_noon_utc()
    post = make_post(make_channel(signed_in.workspace_id), state, when=when)
    target = (when + timedelta(days=2)).date().isoformat()
    answer = signed_in.post("/calendar/move", {"post_id": post.id, "day": target,
                                               "date": when.date().isoformat()})
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    refusal = ("this post started publishing; your edit was not saved" if state == "publishing"
               else "a published post can no longer be edited")
    assert "Not moved" in html and refusal in html
    db.expire_all()
    assert db.get(Post, post.id).schedule_at == when


def test_moving_into_the_past_is_refused(signed_in, db, make_channel, make_post):
    post = make_post(make_channel(signed_in.workspace_id))
    before = post.schedule_at
    answer = signed_in.post("/calendar/move", {"post_id": post.id, "day": "2001-02-03"})
    assert answer.status_code == 422 and "in the past" in answer.get_data(as_text=True)
    db.expire_all()
    assert db.get(Post, post.id).schedule_at == before


def test_move_checks_input_csrf_and_workspace(signed_in, db, make_user, make_channel, make_post):
    mine = make_post(make_channel(signed_in.workspace_id))
    target = (datetime.now(UTC) + timedelta(days=4)).date().isoformat()
    assert signed_in.post("/calendar/move", {"post_id": mine.id, "day": target},
                          csrf=False).status_code == 400
    assert signed_in.post("/calendar/move", {"post_id": mine.id, "day": "soon"}).status_code == 422
    assert signed_in.post("/calendar/move", {"post_id": mine.id, "day": target,
                                             "hour": "25"}).status_code == 422
    theirs = make_post(make_channel(make_user().memberships[0].workspace_id))
    assert signed_in.post("/calendar/move", {"post_id": theirs.id, "day": target}
                          ).status_code == 404
    db.expire_all()
    assert db.get(Post, theirs.id).schedule_at == theirs.schedule_at
    assert signed_in.get("/calendar?tz_channel=" + str(theirs.channel_id)).status_code == 422
    assert signed_in.get("/calendar?view=year").status_code == 422


def test_an_editable_chip_offers_edit_in_the_composer(signed_in, make_channel, make_post):
    when = _next_month_noon_utc()
    channel = make_channel(signed_in.workspace_id)
    editable = make_post(channel, text="still to go", when=when)
    failed = make_post(channel, state="failed", text="went wrong", when=when)
    done = make_post(channel, state="published", text="already out", when=when)
    html = signed_in.get(f"/calendar?date={when.date().isoformat()}").get_data(as_text=True)
    cell = _cell(html, when.date().isoformat())
    assert f'href="/compose/{editable.id}"' in cell and f'href="/compose/{failed.id}"' in cell
    assert f"/compose/{done.id}" not in cell  # a published post is kept for the record
    assert "Edit the scheduled post at" in cell


def test_agenda_lists_the_weeks_posts_by_day_with_the_filters(signed_in, make_channel,
                                                               make_post):
    when = _next_month_noon_utc()
    one, two = make_channel(signed_in.workspace_id), make_channel(signed_in.workspace_id)
    first = make_post(one, text="agenda first", when=when - timedelta(days=1))
    later = make_post(one, text="agenda later", when=when)
    other = make_post(two, text="other channel", when=when)
    outside = make_post(one, text="next month's", when=when + timedelta(days=40))
    html = signed_in.get(f"/calendar?view=agenda-week&date={when.date().isoformat()}"
                         f"&channel={one.id}").get_data(as_text=True)
    agenda = re.search(r'<ol class="agenda".*?</ol>', html, re.S).group(0)
    days = re.findall(r'<li class="agenda-day[^"]*" data-day="([^"]+)"', agenda)
    assert days == [(when - timedelta(days=1)).date().isoformat(), when.date().isoformat()]
    assert agenda.index(f"chip-{first.id}") < agenda.index(f"chip-{later.id}")
    assert f"chip-{other.id}" not in agenda and f"chip-{outside.id}" not in agenda
    assert "Agenda: week of" in html and 'value="agenda-week" selected' in html
    month = signed_in.get(f"/calendar?view=agenda-month&date={when.date().isoformat()}"
                          ).get_data(as_text=True)
    assert f"chip-{other.id}" in month and f"chip-{outside.id}" not in month
    empty = signed_in.get(f"/calendar?view=agenda-week&date={when.date().isoformat()}"
                          "&state=failed").get_data(as_text=True)
    assert "No posts this week for these filters." in empty
