"""Planning, reading and trying in a real Chromium, wide (1366 px) and phone-sized (390 px): the
Posts list's search (none found too) and a bulk cancel over a mix of states with each post's
result; the calendar's day view, channel filter kept in the address and click-to-compose; a
post's history and the audit log by name with the raw entry a click away; one-click sandbox
channels beyond Mastodon and Bluesky; and a member who has no right to the audit log or the
sandbox buttons."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.browser.conftest import new_page, shot, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "a long password"
PAGE_WIDTH = "() => document.documentElement.scrollWidth"
PAGE_HEIGHT = "() => document.documentElement.scrollHeight"
WIDTHS = [1366, 390]


@pytest.fixture(scope="module")
def server_env() -> dict:
    return {"OPENPOST_SANDBOX": "on", "OPENPOST_ALLOW_PRIVATE_HOSTS": "1"}


def _seed(engine, width: int) -> dict:
    """A workspace with an owner (named) and a member, two channels, posts in several states,
    and enough audit entries to page."""
    from app.audit import service as audit
    from app.auth.service import create_user
    from app.channels.service import connect
    from app.posts import service
    from app.posts.lifecycle import transition

    with Session(engine, expire_on_commit=False) as sess:
        owner = create_user(sess, f"plan-owner-{width}@example.com", PASSWORD, f"Plan {width}",
                            name="Ana Lima")
        member = create_user(sess, f"plan-member-{width}@example.com", PASSWORD, f"Plan {width}",
                             role="member")
        ws = owner.memberships[0].workspace_id
        actor = f"user:{owner.id}"
        one, two = (connect(sess, ws, actor, platform="mastodon", handle=f"@{name}_{width}",
                            credentials={"access_token": "t"},
                            settings={"instance_url": "https://mastodon.example"})
                    for name in ("harbour", "market"))
        soon = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        texts = ["Harbour café opens at nine", "Market stalls list", "Weekly round-up",
                 "Failed teaser", "Published hello"]
        posts = [service.create_post(sess, ws, actor, channel_id=(one if i % 2 == 0 else two).id,
                                     text=t, schedule_at=soon + timedelta(hours=i))
                 for i, t in enumerate(texts)]
        for post, path in ((posts[3], ["publishing", "failed"]),
                           (posts[4], ["publishing", "published"])):
            for state in path:
                transition(sess, post, state, actor="worker:host-1")
        service.update_post(sess, ws, posts[0].id, actor, text="Harbour café opens at nine sharp")
        for i in range(70):
            audit.record(sess, ws, actor, "channel.updated", target_type="channel",
                         target_id=one.id, before={"timezone": "UTC", "display_name": "x" * 300},
                         after={"timezone": f"Etc/GMT-{i % 12}", "display_name": "x" * 300})
        sess.commit()
    return {"owner": owner, "member": member, "ws": ws, "channels": (one, two), "posts": posts,
            "day": soon.date()}


@contextmanager
def _signed_in(browser, base: str, width: int, email: str):
    """A page at `width`, signed in as `email`; no script error by the end."""
    context, page = new_page(browser, width)
    try:
        sign_in(page, base, email, PASSWORD)
        yield page
        assert page.script_errors == []
    finally:
        context.close()


def _fits(page, width: int) -> None:
    assert page.evaluate(PAGE_WIDTH) <= width, f"{page.url} is wider than {width} px"


@pytest.fixture(scope="module")
def seeded(live_server):
    _base, engine = live_server
    return {width: _seed(engine, width) for width in WIDTHS}


@pytest.mark.parametrize("width", WIDTHS)
def test_search_and_bulk_cancel_over_a_mix_of_states(browser, live_server, seeded, width):
    base, engine = live_server
    data = seeded[width]
    with _signed_in(browser, base, width, data["owner"].email) as page:
        # Ordered by scheduled time: the first scheduled post comes first.
        first_row = page.locator("#post-list tbody tr").first
        assert "Harbour café" in first_row.inner_text()
        page.fill("#f-q", "zebra crossing")
        page.press("#f-q", "Enter")
        page.get_by_text("No posts contain “zebra crossing”").wait_for()
        assert "q=zebra" in page.url
        shot(page, f"planning-{width}-search-none")
        page.get_by_role("link", name="Show all posts").click()
        page.wait_for_url(base + "/")
        page.locator("#post-list tbody tr").nth(4).wait_for()
        page.check("#bulk-all")
        assert page.locator("#bulk-count").inner_text() == "5 chosen"
        page.select_option("#bulk-action", "cancel")
        page.get_by_role("button", name="Apply to chosen…").click()
        page.get_by_role("heading", name="Cancel 4 posts?").wait_for()
        skipped = page.locator("#bulk-skipped")
        assert "a published post cannot be canceled" in skipped.inner_text()
        _fits(page, width)
        shot(page, f"planning-{width}-bulk-confirm")
        page.get_by_role("button", name="Cancel 4 posts").click()
        page.get_by_role("heading", name="Cancel: 4 of 5 done").wait_for()
        refused = page.locator(f"#result-{data['posts'][4].id}")
        assert "not changed" in refused.inner_text()
        assert "a published post cannot be canceled" in refused.inner_text()
        _fits(page, width)
        shot(page, f"planning-{width}-bulk-results")
        from app.posts.models import Post

        with Session(engine) as sess:
            states = dict(sess.execute(sa.select(Post.id, Post.state).where(
                Post.workspace_id == data["ws"])).all())
        assert sorted(states.values()) == ["canceled"] * 4 + ["published"]
        page.get_by_role("link", name="Back to the list").click()
        page.wait_for_url(re.compile(r"/$|/\?"))


@pytest.mark.parametrize("width", WIDTHS)
def test_calendar_day_view_filter_and_click_to_compose(browser, live_server, seeded, width):
    base, _engine = live_server
    data = seeded[width]
    one, _two = data["channels"]
    day = data["day"] + timedelta(days=1)  # no post that day: every slot is empty
    with _signed_in(browser, base, width, data["owner"].email) as page:
        page.goto(base + f"/calendar?date={day.isoformat()}")
        page.select_option("#cal-view", "day")
        page.wait_for_url(re.compile(r"view=day"))
        page.get_by_role("heading", name=day.strftime("%A %d %B %Y")).wait_for()
        page.select_option("#cal-channel", str(one.id))
        page.wait_for_url(re.compile(rf"channel={one.id}"))
        page.reload()
        assert page.locator("#cal-channel").input_value() == str(one.id)
        assert page.locator("#cal-view").input_value() == "day"
        page.get_by_role("link", name="Next →").click()
        page.wait_for_url(re.compile(rf"channel={one.id}"))
        _fits(page, width)
        shot(page, f"planning-{width}-calendar-day")
        page.get_by_role("link", name="← Previous").click()
        page.wait_for_url(re.compile(rf"date={day.isoformat()}"))
        slot = page.locator(f'td[data-day="{day.isoformat()}"][data-hour="14"]')
        if width > 640:
            slot.scroll_into_view_if_needed()
            box = slot.bounding_box()
            page.mouse.click(box["x"] + 8, box["y"] + box["height"] - 4)  # the empty space
        else:
            slot.get_by_role("link", name=re.compile("New post on")).click()
        page.wait_for_url(re.compile(r"/compose\?"))
        assert page.locator("#schedule_at").input_value() == f"{day.isoformat()}T14:00"
        assert page.locator(f'input[name="channel_id"][value="{one.id}"]').is_checked()
        shot(page, f"planning-{width}-compose-from-slot")


@pytest.mark.parametrize("width", WIDTHS)
def test_history_and_audit_log_read_by_name(browser, live_server, seeded, width):
    base, _engine = live_server
    data = seeded[width]
    with _signed_in(browser, base, width, data["owner"].email) as page:
        page.goto(base + f"/posts/{data['posts'][0].id}")
        history = page.locator("ol.events").inner_text()
        assert f"created as scheduled by Ana Lima ({data['owner'].email})" in history
        assert "edited by Ana Lima" in history and "user:" not in history
        page.goto(base + f"/posts/{data['posts'][4].id}")
        assert "by the publishing engine" in page.locator("ol.events").inner_text()
        page.goto(base + "/settings/audit-log")
        login = page.locator("#audit-entries tbody tr").first.inner_text()
        assert "Login succeeded" in login and "Ana Lima" in login
        page.select_option("#f-action", "channel.")
        page.wait_for_url(re.compile(r"action=channel\."))
        rows = page.locator("#audit-entries tbody tr")
        assert rows.count() == 25
        first = rows.first.inner_text()
        assert "Ana Lima" in first and "Channel updated" in first and "timezone" in first
        assert "user:" not in first
        raw = rows.first.locator("details.raw")
        assert not raw.locator("pre").is_visible()
        raw.locator("summary").click()
        assert '"action": "channel.updated"' in raw.locator("pre").inner_text()
        _fits(page, width)
        height = page.evaluate(PAGE_HEIGHT)
        print(f"audit log at {width} px: {height} px tall for 25 entries")
        assert height < 7_400
        shot(page, f"planning-{width}-audit-log")
        page.get_by_role("link", name="Older entries").click()
        page.wait_for_url(re.compile(r"before="))
        assert page.locator("#audit-entries tbody tr").count() == 25


@pytest.mark.parametrize("width", WIDTHS)
def test_try_x_with_the_sandbox_and_a_member_without_rights(browser, live_server, seeded, width):
    base, engine = live_server
    data = seeded[width]
    with _signed_in(browser, base, width, data["owner"].email) as page:
        page.goto(base + "/channels")
        for name in ("X", "Threads", "Instagram", "Facebook", "LinkedIn", "TikTok"):
            assert page.get_by_role("button", name=f"Try {name} with the sandbox").is_visible()
        _fits(page, width)
        shot(page, f"planning-{width}-channels-sandbox")
        page.get_by_role("button", name="Try LinkedIn with the sandbox").click()
        page.get_by_role("heading", name="LinkedIn connected").wait_for()
        from app.channels.models import Channel

        with Session(engine) as sess:
            made = sess.scalars(sa.select(Channel).where(
                Channel.workspace_id == data["ws"], Channel.platform == "linkedin")).one()
            assert made.settings["sandbox"] is True and made.status == "connected"
        page.reload()  # a reload connects nothing again
        with Session(engine) as sess:
            assert sess.scalar(sa.select(sa.func.count()).select_from(Channel).where(
                Channel.workspace_id == data["ws"], Channel.platform == "linkedin")) == 1
    with _signed_in(browser, base, width, data["member"].email) as page:
        page.goto(base + "/channels")
        assert page.get_by_role("button", name=re.compile("with the sandbox")).count() == 0
        answer = page.goto(base + "/settings/audit-log")
        assert answer.status == 403
        page.get_by_text("only an owner or admin of this workspace may do this").wait_for()
        assert page.get_by_role("link", name="Posts").count() >= 1  # styled, with navigation
        _fits(page, width)
        shot(page, f"planning-{width}-member-audit-403")
