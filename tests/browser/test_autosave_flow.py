"""Autosave to a server-side draft in a real Chromium, wide (1366 px) and phone-sized (390 px):
typing in a new composer makes a draft within seconds, the address becomes the draft's edit page,
a reload shows the draft from the server and the Posts list has it; a scheduled post's typing is
kept in the browser only and the page says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.browser.conftest import new_page, owner_with_mastodon, shot, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "a long password"


def _seed(engine, width: int) -> dict:
    from app.posts import service

    email, ws, (channel,) = owner_with_mastodon(engine, f"autosave-{width}@example.com",
                                                PASSWORD, [f"@auto{width}"])
    with Session(engine, expire_on_commit=False) as sess:
        scheduled = service.create_post(
            sess, ws, "test", channel_id=channel, text="Scheduled text",
            schedule_at=datetime.now(UTC) + timedelta(days=2), timezone="UTC")
    return {"email": email, "workspace_id": ws, "channel": channel, "scheduled": scheduled.id}


def _texts(engine, workspace_id) -> list[tuple[str, str]]:
    from app.posts.models import Post

    with Session(engine) as sess:
        return [(p.state, p.text) for p in sess.scalars(
            sa.select(Post).where(Post.workspace_id == workspace_id).order_by(Post.created_at))]


@pytest.mark.parametrize("width", [1366, 390])
def test_typing_is_autosaved_to_a_draft_that_survives_a_reload(browser, live_server, width):
    base, engine = live_server
    seed = _seed(engine, width)
    context, page = new_page(browser, width)
    try:
        sign_in(page, base, seed["email"], PASSWORD)
        page.goto(base + "/compose")
        page.locator(f"#ch-{seed['channel']}").check()
        page.fill("#part-text-0", "Autosaved words")
        page.locator("#autosave-status", has_text="Saved as draft").wait_for()
        draft_state, draft_text = _texts(engine, seed["workspace_id"])[-1]
        assert (draft_state, draft_text) == ("draft", "Autosaved words")
        assert "/compose/" in page.url and page.url != base + "/compose"

        # more typing updates the same draft (no second post)
        page.fill("#part-text-0", "Autosaved words, and more")
        page.wait_for_function("() => document.getElementById('composer').dataset.draftSaves"
                               " === '2' && !localStorage.length")
        assert _texts(engine, seed["workspace_id"])[-1] == ("draft", "Autosaved words, and more")
        assert len(_texts(engine, seed["workspace_id"])) == 2

        page.reload()  # the draft comes from the server, not from this browser's storage
        assert page.input_value("#part-text-0") == "Autosaved words, and more"
        assert page.locator(".autosave-note").is_hidden()
        shot(page, f"autosave-01-reloaded-{width}")

        page.goto(base + "/")
        page.locator("main", has_text="Autosaved words, and more").wait_for()

        # a scheduled post is not autosaved to the server; the page says so
        page.goto(f"{base}/compose/{seed['scheduled']}")
        page.locator("#autosave-status", has_text="kept in this browser only").wait_for()
        page.fill("#part-text-0", "Typed into a scheduled post")
        page.wait_for_function("() => document.getElementById('composer').dataset.autosaved")
        assert page.get_attribute("#composer", "data-draft-url") == ""
        assert ("scheduled", "Scheduled text") in _texts(engine, seed["workspace_id"])
        shot(page, f"autosave-02-scheduled-{width}")
        assert page.script_errors == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_a_submit_during_an_autosave_waits_for_it_and_makes_no_copy(browser, live_server, width):
    base, engine = live_server
    seed = _seed(engine, f"held-{width}")
    context, page = new_page(browser, width)
    held = []
    try:
        sign_in(page, base, seed["email"], PASSWORD)
        page.goto(base + "/compose")
        page.route("**/compose/autosave", lambda route: held.append(route))  # it waits there
        page.locator(f"#ch-{seed['channel']}").check()
        with page.expect_request("**/compose/autosave"):
            page.fill("#part-text-0", "Held words")
        page.get_by_role("button", name="Save as draft").click()  # while that save is on its way
        assert len(held) == 1 and page.url == base + "/compose"
        held[0].continue_()
        page.wait_for_url(base + "/")
        page.get_by_text("Saved as draft: 1 post").wait_for()
        assert [t for t in _texts(engine, seed["workspace_id"]) if t[0] == "draft"] == \
            [("draft", "Held words")]
        assert page.script_errors == []
    finally:
        context.close()
