"""Members in a real Chromium, wide and phone-sized: the owner invites, the invitee joins through
the link, the owner changes their role and removes them, and the removed member's browsers are
signed out on their next request."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.browser.conftest import new_page, shot

pytestmark = pytest.mark.browser
PASSWORD = "a long password"
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def _owner(engine, width: int) -> str:
    from app.auth.service import create_user

    email = f"owner-{width}@example.com"
    with Session(engine) as sess:
        create_user(sess, email, PASSWORD, f"Crew {width}")
    return email


def _sign_in(page, base, email, password=PASSWORD):
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


@pytest.mark.parametrize("width", [1366, 390])
def test_invite_join_change_role_remove(browser, live_server, width):
    base, engine = live_server
    owner_email, invitee = _owner(engine, width), f"newcomer-{width}@example.com"
    contexts = [new_page(browser, width) for _ in range(3)]
    (_, owner), (_, joined), (_, other_device) = contexts
    try:
        _sign_in(owner, base, owner_email)
        owner.goto(base + "/settings/members")
        owner.fill("#m-email", invitee)
        owner.select_option("#m-role", "member")
        owner.get_by_role("button", name="Create invite link").click()
        link = owner.locator("#issued-link").input_value()
        assert "/invite/" in link and "works once" in owner.locator(".issued-link").inner_text()
        assert owner.evaluate(NO_SIDEWAYS_SCROLL), "the members page scrolls sideways"
        shot(owner, f"members-{width}-invited")

        joined.goto(base + "/invite/" + link.rsplit("/", 1)[1])
        assert f"Crew {width}" in joined.locator("h1").inner_text()
        joined.fill("#name", "New Comer")
        joined.fill("#password", "the newcomer's password")
        joined.get_by_role("button", name="Join").click()
        joined.wait_for_url(base + "/")
        assert "you joined" in joined.locator("main").inner_text()
        _sign_in(other_device, base, invitee, "the newcomer's password")

        owner.goto(base + "/settings/members")
        row = owner.locator("tr", has_text=invitee)
        row.locator("select[name=role]").select_option("admin")
        row.get_by_role("button", name="Change role").click()
        owner.get_by_text(f"{invitee} is now admin").wait_for()
        assert owner.evaluate(NO_SIDEWAYS_SCROLL), "the members page scrolls sideways"
        shot(owner, f"members-{width}-roles")
        owner.locator("tr", has_text=invitee).get_by_role("button", name="Remove").click()
        owner.get_by_text(f"Removed {invitee}").wait_for()
        assert owner.locator("tr", has_text=invitee).count() == 0

        for page in (joined, other_device):
            page.goto(base + "/calendar")
            assert "/login" in page.url, "a removed member still has a session"
        assert all(page.script_errors == [] for _, page in contexts)
    finally:
        for context, _page in contexts:
            context.close()
