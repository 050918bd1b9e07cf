"""The Channels page at phone widths (390 and 360 px) with the sandbox mounted and a channel of
every platform in every condition a manager meets: long handles, a broken connection with the
platform's reason, a channel whose connection may not read figures. Nothing scrolls sideways;
the table scrolls inside its own box and every Connect link and sandbox button can be reached."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.platforms import registry
from tests.browser.conftest import new_page, shot, sign_in

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "channels-phone@example.com", "a long password"
# What sticks out past the screen, outside the table (which scrolls in its own box).
WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth && !e.closest('table'))
    .slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)"""
PAGE_FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="module")
def server_env() -> dict:
    return {"OPENPOST_SANDBOX": "on"}


@pytest.fixture(scope="module")
def seeded(live_server):
    from app.auth.service import create_user
    from app.channels import service

    _base, engine = live_server
    with Session(engine, expire_on_commit=False) as sess:
        user = create_user(sess, EMAIL, PASSWORD, "Channel Crew")
        ws = user.memberships[0].workspace_id
        channels = [service.connect(sess, ws, "test", platform=platform,
                                    handle=f"@{platform}_account_with_a_rather_long_handle_name",
                                    display_name=f"The {registry.display_name(platform)} "
                                                 "account of the espresso grinder shop",
                                    credentials={"access_token": "t"},
                                    settings={"instance_url": "https://mastodon.example"}
                                    if platform == "mastodon" else {})
                    for platform in registry.PUBLISHERS]
        broken = channels[0]
        broken.status = "disconnected"
        broken.status_reason = ("The platform refused the stored token (invalid_grant): "
                                "reconnect this account to keep publishing.")
        sess.commit()
    return channels


@pytest.mark.parametrize("width", [390, 360])
def test_the_channels_page_fits_a_phone(browser, live_server, seeded, width):
    base, _engine = live_server
    context, page = new_page(browser, width, 844)
    sign_in(page, base, EMAIL, PASSWORD)
    page.goto(base + "/channels")
    shot(page, f"channels-phone-{width}")
    assert page.evaluate(PAGE_FITS), page.evaluate(WIDEST)
    box = page.locator(".table-scroll").first.bounding_box()
    assert box["width"] <= width
    sandbox_buttons = page.get_by_role("button", name="Try Bluesky with the sandbox")
    sandbox_buttons.scroll_into_view_if_needed()
    assert sandbox_buttons.bounding_box()["x"] + sandbox_buttons.bounding_box()["width"] <= width
    assert page.get_by_role("link", name="Reconnect").first.is_visible()
    context.close()
