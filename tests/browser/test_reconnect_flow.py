"""Reconnect in a real Chromium, wide and phone-sized: connect Mastodon with a token, Disconnect,
the banner's Reconnect as the same account repairs the one row (the banner goes, a reload adds
nothing); a member who confirms Disconnect sees the server's 403 message in a toast."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.browser.conftest import new_page, shot, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "a long password"
TOAST_FITS = ("() => { const t = document.querySelector('.toast').getBoundingClientRect();"
              " return t.left >= 0 && t.right <= window.innerWidth; }")


@pytest.fixture(scope="module")
def server_env() -> dict:
    """The mounted sandbox is the Mastodon instance; the server reaches it on loopback."""
    return {"OPENPOST_SANDBOX": "on", "OPENPOST_ALLOW_PRIVATE_HOSTS": "1"}


def _sign_in(page, base, email):
    sign_in(page, base, email, PASSWORD)


def _channels(engine, workspace: str) -> list:
    from app.auth.models import Workspace
    from app.channels.models import Channel

    with Session(engine) as sess:
        return list(sess.execute(sa.select(Channel.id, Channel.status).join(
            Workspace, Workspace.id == Channel.workspace_id).where(Workspace.name == workspace)))


def _sandbox_token(page, base, username: str) -> str:
    """A Mastodon account on the mounted sandbox, made through its controls as the owner."""
    csrf = json.loads(page.get_attribute("body", "hx-headers"))["X-CSRFToken"]
    made = page.request.post(base + "/sandbox/_control/accounts",
                             data=json.dumps({"platform": "mastodon", "username": username}),
                             headers={"Content-Type": "application/json", "X-CSRFToken": csrf})
    assert made.status == 201, made.text()
    return made.json()["access_token"]


def _submit_token(page, base, token: str) -> None:
    page.fill("input[name=instance_url]", base + "/sandbox/mastodon")
    page.locator("summary", has_text="Or paste an access token").click()
    page.fill("input[name=access_token]", token)
    page.get_by_role("button", name="Connect with the token").click()


def _set_role(engine, email: str, role: str) -> None:
    from app.auth.models import Membership, User

    with Session(engine) as sess:
        user_id = sess.scalar(sa.select(User.id).where(User.email == email))
        sess.execute(sa.update(Membership).where(Membership.user_id == user_id).values(role=role))
        sess.commit()


@pytest.mark.parametrize("width", [1366, 390])
def test_reconnect_repairs_the_channel_and_a_member_sees_the_403(browser, live_server, width):
    from app.auth.service import create_user

    base, engine = live_server
    workspace, owner_email, member_email = (f"Reconnect {width}", f"rc-owner-{width}@example.com",
                                            f"rc-member-{width}@example.com")
    with Session(engine) as sess:
        create_user(sess, owner_email, PASSWORD, workspace)
        create_user(sess, member_email, PASSWORD, workspace, role="admin")
    (owner_context, owner), (member_context, member) = (new_page(browser, width),
                                                        new_page(browser, width))
    try:
        _sign_in(owner, base, owner_email)
        token = _sandbox_token(owner, base, f"ana{width}")
        owner.goto(base + "/channels/connect/mastodon")
        _submit_token(owner, base, token)
        owner.wait_for_url(re.compile(r"/channels/[0-9a-f-]{36}/connected$"))
        assert owner.locator("h1").inner_text() == "Mastodon connected"
        owner.reload()  # reloading the answer connects nothing again
        [(channel_id, _status)] = _channels(engine, workspace)

        owner.goto(base + "/channels")
        owner.once("dialog", lambda dialog: dialog.accept())
        owner.get_by_role("button", name="Disconnect").click()
        owner.locator("#banners .banner-bad").wait_for()
        shot(owner, f"reconnect-{width}-disconnected")
        owner.locator("#banners").get_by_role("link", name="Reconnect").click()
        assert owner.locator("h1").inner_text().startswith("Reconnect Mastodon @ana")
        _submit_token(owner, base, token)
        owner.wait_for_url(re.compile(rf"/channels/{channel_id}/connected\?reconnected=1$"))
        assert owner.locator("h1").inner_text() == "Mastodon reconnected"
        assert owner.locator("#banners .banner-bad").count() == 0, "the banner is gone"
        owner.reload()
        shot(owner, f"reconnect-{width}-repaired")
        assert _channels(engine, workspace) == [(channel_id, "connected")], "one row, repaired"

        _sign_in(member, base, member_email)
        member.goto(base + "/channels")
        _set_role(engine, member_email, "member")  # demoted while the page is open
        member.once("dialog", lambda dialog: dialog.accept())
        member.get_by_role("button", name="Disconnect").click()
        toast = member.locator(".toast[role=alert]")
        toast.wait_for()
        assert toast.inner_text().startswith(
            "only an owner or admin of this workspace may do this; you are a member")
        assert member.evaluate(TOAST_FITS), "the toast fits the screen"
        shot(member, f"reconnect-{width}-member-toast")
        assert _channels(engine, workspace) == [(channel_id, "connected")]
        assert owner.script_errors == [] and member.script_errors == []
    finally:
        owner_context.close()
        member_context.close()
