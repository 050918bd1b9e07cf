"""The calendar's agenda and editing from it in a real Chromium, wide (1366 px) and phone-sized
(390 px): the week's posts listed by day, narrowed by channel (kept in the address), and a
post's Edit on its chip opening it in the composer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import new_page, owner_with_mastodon, shot, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "a long password"


def _seed(engine, width: int) -> dict:
    from app.posts import service

    email, ws, (one, two) = owner_with_mastodon(engine, f"agenda-{width}@example.com", PASSWORD,
                                                [f"@pier{width}", f"@mill{width}"])
    # A Wednesday a few weeks ahead, so Tuesday and Thursday are in its week.
    ahead = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) \
        + timedelta(days=21)
    wednesday = ahead + timedelta(days=(2 - ahead.weekday()) % 7)
    with Session(engine, expire_on_commit=False) as sess:
        posts = [service.create_post(sess, ws, "test", channel_id=c, text=t,
                                     schedule_at=wednesday + timedelta(days=d), timezone="UTC")
                 for c, t, d in ((one, "Pier opening", -1), (two, "Mill tour", 0),
                                 (one, "Pier recap", 1))]
    return {"email": email, "one": one, "day": wednesday.date(), "posts": posts}


@pytest.mark.parametrize("width", [1366, 390])
def test_week_agenda_filtered_by_channel_and_edit_from_a_chip(browser, live_server, width):
    base, engine = live_server
    seed = _seed(engine, width)
    context, page = new_page(browser, width)
    try:
        sign_in(page, base, seed["email"], PASSWORD)
        page.goto(f"{base}/calendar?date={seed['day'].isoformat()}")
        page.select_option("#cal-view", "agenda-week")
        page.wait_for_url(re.compile(r"view=agenda-week"))
        page.get_by_role("heading", name=re.compile("Agenda: week of")).wait_for()
        days = page.locator(".agenda-day h3")
        assert days.count() == 3
        assert "Mill tour" in page.locator(".agenda").inner_text()
        page.select_option("#cal-channel", str(seed["one"]))
        page.wait_for_url(re.compile(rf"channel={seed['one']}"))
        page.wait_for_function("() => document.querySelectorAll('.agenda-day').length === 2")
        agenda = page.locator(".agenda").inner_text()
        assert agenda.index("Pier opening") < agenda.index("Pier recap")
        assert "Mill tour" not in agenda
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        shot(page, f"agenda-01-week-{width}")

        recap = seed["posts"][2]
        page.locator(f'a.chip-edit[href="/compose/{recap.id}"]').click()
        page.wait_for_url(f"{base}/compose/{recap.id}")
        assert page.input_value("#part-text-0") == "Pier recap"
        shot(page, f"agenda-02-edit-{width}")
        assert page.script_errors == []
    finally:
        context.close()
