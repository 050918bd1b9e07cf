"""In Chromium at desktop and phone widths: create a recurring rule on the Recurring page and
see its occurrences, as posts and as upcoming entries, on the calendar."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.posts.models import Post
from tests.browser.conftest import new_page, shot

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "recurring@example.com", "a long password"


@pytest.fixture(scope="module")
def seeded(live_server):
    from app.auth.service import create_user
    from app.channels.service import connect

    _base, engine = live_server
    with Session(engine, expire_on_commit=False) as sess:
        user = create_user(sess, EMAIL, PASSWORD, "Weekly Crew")
        channel = connect(sess, user.memberships[0].workspace_id, "test", platform="mastodon",
                          handle="@weekly", timezone="Europe/Berlin",
                          credentials={"access_token": "t"},
                          settings={"instance_url": "https://mastodon.example"})
        sess.commit()
    return channel


@pytest.mark.parametrize("width", [1366, 390])
def test_create_a_rule_and_see_its_occurrences_on_the_calendar(browser, live_server, seeded,
                                                               width):
    base, engine = live_server
    context, page = new_page(browser, width)
    try:
        page.goto(base + "/login")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        page.goto(base + "/recurring")
        name = f"Weekday tips {width}"
        form = page.locator("#new-rule")
        form.get_by_label("Name (optional)").fill(name)
        form.get_by_label("mastodon @weekly").check()
        form.get_by_label("Text").fill(f"Tip of the weekday ({width})")
        form.get_by_label("Repeat").select_option("weekdays")
        form.get_by_label("Time", exact=True).fill("09:30")
        form.get_by_role("button", name="Create rule").click()
        page.wait_for_selector("text=Rule created")
        rule = page.locator("article.rule", has_text=name)
        assert "mon-fri at 09:30" in rule.locator(".rule-words").inner_text()
        assert rule.locator(".occurrence-scheduled").count() >= 1
        assert rule.locator(".occurrence-upcoming").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"recurring-{width}")

        with engine.connect() as conn:
            first = conn.scalar(sa.select(sa.func.min(Post.schedule_at)).where(
                Post.text == f"Tip of the weekday ({width})", Post.state == "scheduled"))
        assert first is not None
        page.goto(base + f"/calendar?view=week&date={first.date().isoformat()}"
                         f"&tz_channel={seeded.id}")
        chip = page.locator("#calendar .chip", has_text=f"Tip of the weekday ({width})").first
        assert chip.is_visible() and "09:30" in chip.inner_text()
        later = (first + timedelta(days=35)).date().isoformat()
        page.goto(base + f"/calendar?date={later}&tz_channel={seeded.id}")
        ghosts = page.locator("#calendar .chip-ghost", has_text=name)
        assert ghosts.count() >= 15 and "09:30" in ghosts.first.inner_text()
        assert ghosts.first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"recurring-calendar-{width}")
        assert page.script_errors == []
    finally:
        context.close()
