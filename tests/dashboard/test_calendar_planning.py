"""Planning on the calendar: a day view, filters by channel and state kept in the address, and
an empty slot that opens the composer at its time."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime, timedelta

from tests.dashboard.test_calendar import _cell, _next_month_noon_utc


def _links(html: str) -> list[str]:
    return [htmllib.unescape(u) for u in re.findall(r'href="([^"]+)"', html)]


def test_day_view_shows_one_day_by_hour_and_steps_a_day(signed_in, make_channel, make_post):
    when = _next_month_noon_utc()
    channel = make_channel(signed_in.workspace_id)
    post = make_post(channel, text="the day's post", when=when)
    other = make_post(channel, text="the next day's", when=when + timedelta(days=1))
    day = when.date().isoformat()
    html = signed_in.get(f"/calendar?view=day&date={day}").get_data(as_text=True)
    assert when.strftime("%A %d %B %Y") in html
    assert f'id="chip-{post.id}"' in _cell(html, day, 15)
    assert f'id="chip-{other.id}"' not in html
    assert len(re.findall(rf'<td class="slot" data-day="{day}"', html)) == 24
    links = _links(html)
    following = (when.date() + timedelta(days=1)).isoformat()
    assert f"/calendar?date={following}&view=day" in links
    assert signed_in.get("/calendar?view=year").status_code == 422


def test_channel_and_state_filters_keep_to_every_link(signed_in, make_channel, make_post):
    when = _next_month_noon_utc()
    one, two = make_channel(signed_in.workspace_id), make_channel(signed_in.workspace_id)
    mine = make_post(one, text="channel one", when=when)
    theirs = make_post(two, text="channel two", when=when)
    failed = make_post(one, "failed", text="failed one", when=when)
    day = when.date().isoformat()
    html = signed_in.get(f"/calendar?view=week&date={day}&channel={one.id}").get_data(
        as_text=True)
    assert f"chip-{mine.id}" in html and f"chip-{failed.id}" in html
    assert f"chip-{theirs.id}" not in html
    calendar = html[html.index('<section id="calendar"'):]
    for link in [u for u in _links(calendar) if u.startswith("/calendar")]:
        assert f"channel={one.id}" in link and "view=week" in link
    assert f'<option value="{one.id}" selected>' in html
    html = signed_in.get(f"/calendar?date={day}&channel={one.id}&state=failed").get_data(
        as_text=True)
    assert f"chip-{failed.id}" in html and f"chip-{mine.id}" not in html
    assert '<option value="failed" selected>' in html
    move_form = re.search(r'<form id="move-form".*?</form>', html, re.S).group(0)
    assert f'name="channel" value="{one.id}"' in move_form and 'value="failed"' in move_form


def test_bad_filters_are_refused_with_the_reason(signed_in, make_user, make_channel):
    other = make_channel(make_user().memberships[0].workspace_id)
    answer = signed_in.get(f"/calendar?channel={other.id}")
    assert answer.status_code == 422
    assert "channel is not a channel of this workspace" in answer.get_data(as_text=True)
    answer = signed_in.get("/calendar?state=lost")
    assert answer.status_code == 422 and "state must be one of" in answer.get_data(as_text=True)


def test_an_empty_slot_links_to_the_composer_at_its_time(signed_in, make_channel):
    channel = make_channel(signed_in.workspace_id, timezone="America/New_York")
    when = _next_month_noon_utc()
    day = when.date().isoformat()
    html = signed_in.get(f"/calendar?view=week&date={day}&tz_channel={channel.id}"
                         f"&channel={channel.id}").get_data(as_text=True)
    cell = _cell(html, day, 14)
    link = htmllib.unescape(re.search(r'class="new-at" href="([^"]+)"', cell).group(1))
    assert link.startswith("/compose?") and f"schedule_at={day}T14:00" in link
    assert "timezone=America/New_York" in link.replace("%2F", "/")
    assert f"channel_id={channel.id}" in link
    composer = signed_in.get(link).get_data(as_text=True)
    assert f'value="{day}T14:00"' in composer and 'value="America/New_York"' in composer
    month = signed_in.get(f"/calendar?date={day}").get_data(as_text=True)
    assert f"schedule_at={day}T09:00" in _cell(month, day)


def test_past_slots_offer_no_new_post(signed_in):
    yesterday = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    html = signed_in.get(f"/calendar?view=day&date={yesterday}").get_data(as_text=True)
    assert "new-at" not in html


def test_the_composer_refuses_a_malformed_time_from_the_address(signed_in):
    answer = signed_in.get("/compose?schedule_at=tomorrow")
    assert answer.status_code == 422 and "is not an ISO 8601 date and time" in \
        answer.get_data(as_text=True)
    answer = signed_in.get("/compose?timezone=Mars/Olympus")
    assert answer.status_code == 422 and "unknown timezone" in answer.get_data(as_text=True)
