"""Every signed-in page at phone width (390 px): nothing scrolls sideways, the header folds into a
menu, the calendar reads as an agenda, and wide tables scroll inside their own box."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "phone@example.com", "a long password"
WIDTH = 390
PAGE_WIDTH = "() => document.documentElement.scrollWidth"
LONG = ("Launch day for the new espresso grinder: "
        "https://shop.example/products/espresso-grinder-pro-2000?utm_source=openpost ") * 2


@pytest.fixture(scope="module")
def seeded(live_server):
    """An owner with a channel, posts in every state, an API key, a notification, audit rows."""
    from app.auth.service import create_api_key, create_user
    from app.channels.service import connect
    from app.notifications.service import post_failed
    from app.posts import service
    from app.posts.lifecycle import transition

    _base, engine = live_server
    with Session(engine, expire_on_commit=False) as sess:
        user = create_user(sess, EMAIL, PASSWORD, "Phone Crew")
        ws = user.memberships[0].workspace_id
        channel = connect(sess, ws, "test", platform="mastodon", handle="@crew_with_a_long_name",
                          credentials={"access_token": "t"},
                          settings={"instance_url": "https://mastodon.example"})
        soon = datetime.now(UTC) + timedelta(hours=2)
        posts = [service.create_post(sess, ws, "test", channel_id=channel.id,
                                     text=f"{i}: {LONG}", schedule_at=soon + timedelta(hours=i))
                 for i in range(8)]
        for post, path in ((posts[0], ["publishing", "failed"]),
                           (posts[1], ["publishing", "published"])):
            for state in path:
                transition(sess, post, state, actor="worker:test",
                           error=("platform_error", "the platform refused this post because "
                                  "it did not like it") if state == "failed" else None)
        post_failed(sess, posts[0])
        create_api_key(sess, ws, "test", name="a key for the reporting dashboard")
        sess.commit()
    return posts


@pytest.fixture
def phone(browser, live_server, seeded, request):
    base, _engine = live_server
    width = getattr(request, "param", WIDTH)
    context = browser.new_context(viewport={"width": width, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    yield page
    context.close()


def _pages(posts) -> dict[str, str]:
    return {"posts": "/", "calendar-month": "/calendar", "calendar-week": "/calendar?view=week",
            "calendar-day": "/calendar?view=day", "posts-search-none": "/?q=nothing+like+this",
            "compose": "/compose", "post-detail": f"/posts/{posts[0].id}",
            "edit-post": f"/compose/{posts[2].id}", "scheduled-post": f"/posts/{posts[2].id}",
            "channels": "/channels", "notifications": "/notifications",
            "settings-members": "/settings/members", "settings-account": "/settings/account",
            "settings-api-keys": "/settings/api-keys", "settings-webhooks": "/settings/webhooks",
            "settings-export": "/settings/export", "audit-log": "/settings/audit-log",
            "analytics": "/analytics?days=90",
            "recurring": "/recurring"}


@pytest.mark.parametrize("phone", [390, 360], indirect=True)
def test_no_signed_in_page_scrolls_sideways(phone, live_server, seeded):
    base, _engine = live_server
    viewport = phone.viewport_size["width"]
    too_wide = {}
    for name, path in _pages(seeded).items():
        phone.goto(base + path)
        shot(phone, f"phone-{viewport}-{name}")
        width = phone.evaluate(PAGE_WIDTH)
        if width > viewport:
            too_wide[name] = width
    assert too_wide == {}, f"pages wider than {viewport} px: {too_wide}"


def test_the_header_folds_into_a_menu(phone, live_server):
    base, _engine = live_server
    menu = phone.get_by_text("Menu", exact=True)
    assert menu.is_visible()
    sign_out = phone.get_by_role("button", name="Sign out")
    assert not sign_out.is_visible()
    assert phone.locator("#bell").is_visible()
    menu.click()
    assert sign_out.is_visible()
    shot(phone, "phone-390-menu-open")
    phone.get_by_role("link", name="Channels").click()
    phone.wait_for_url(base + "/channels")


def test_the_calendar_is_an_agenda_of_days_with_posts(phone, live_server, seeded):
    base, _engine = live_server
    phone.goto(base + f"/calendar?view=week&date={seeded[0].schedule_at.date().isoformat()}")
    chips = phone.locator("#calendar .chip")
    assert chips.count() >= 8
    when = {str(p.id): p.schedule_at for p in seeded}
    placed = sorted((when[chips.nth(i).get_attribute("data-post-id")], chips.nth(i).bounding_box())
                    for i in range(chips.count()))
    assert all(box["width"] > WIDTH * 0.6 for _at, box in placed)  # a full line, not a sliver
    tops = [box["y"] for _at, box in placed]
    assert tops == sorted(tops)  # in time order, one under another


def test_the_posts_table_scrolls_inside_its_box(phone, live_server):
    base, _engine = live_server
    phone.goto(base + "/")
    box = phone.locator(".table-scroll").first
    assert box.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    assert box.bounding_box()["width"] <= WIDTH


def test_the_menu_is_open_again_on_a_wide_screen(phone):
    assert not phone.get_by_role("button", name="Sign out").is_visible()
    phone.set_viewport_size({"width": 1024, "height": 800})
    phone.get_by_role("button", name="Sign out").wait_for()
    assert not phone.get_by_text("Menu", exact=True).is_visible()
