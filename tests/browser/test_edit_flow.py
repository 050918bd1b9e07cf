"""The composer and editing a saved post in a real Chromium, wide (1366 px) and phone-sized
(390 px): per-channel text once two channels are ticked, a thread only when asked for, each
channel's local time, a draft edited and kept a draft, a reload mid-edit that restores the
typing, a warning before leaving, a validation error, and an edit refused because the post
started publishing meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.browser.conftest import new_page, shot, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "a long password"
IDLE = ("() => !document.querySelector("
        "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")
PAGE_FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def _seed(engine, width: int) -> dict:
    from app.auth.service import create_user
    from app.channels.service import connect

    with Session(engine, expire_on_commit=False) as sess:
        user = create_user(sess, f"edit-{width}@example.com", PASSWORD, f"Edit {width}")
        ws = user.memberships[0].workspace_id
        made = {}
        for key, platform, tz in (("x", "x", "America/New_York"),
                                  ("linkedin", "linkedin", "Europe/Berlin")):
            made[key] = connect(sess, ws, "test", platform=platform, handle=f"@{key}{width}",
                                timezone=tz, credentials={"access_token": "t"},
                                settings={}).id
        return {"email": user.email, "workspace_id": ws, **made}


def _sign_in(page, base, email):
    sign_in(page, base, email, PASSWORD)


def _post(engine, workspace_id):
    from app.posts.models import Post

    with Session(engine) as sess:
        return sess.scalars(sa.select(Post).where(Post.workspace_id == workspace_id)
                            .order_by(Post.created_at.desc())).first()


def _start_publishing(engine, post_id) -> None:
    """What a worker's claim does to the post while the page is open."""
    from app.posts.lifecycle import transition
    from app.posts.models import Post

    with Session(engine) as sess:
        transition(sess, sess.get(Post, post_id), "publishing", actor="worker:test")
        sess.commit()


@pytest.mark.parametrize("width", [1366, 390])
def test_compose_edit_restore_and_refusals(browser, live_server, width):
    base, engine = live_server
    seed = _seed(engine, width)
    context, page = new_page(browser, width)
    try:
        _sign_in(page, base, seed["email"])
        page.goto(base + "/compose")
        page.locator(f"#ch-{seed['x']}").check()
        page.wait_for_function(IDLE)
        assert page.locator("#variants fieldset").count() == 0
        page.locator(f"#ch-{seed['linkedin']}").check()
        # the per-channel text appears as soon as the second channel is ticked
        page.locator(f"#override-{seed['linkedin']}").wait_for()

        page.fill("#part-text-0", "Launch " + "words " * 55)
        x_card = page.locator(f"#preview-{seed['x']}")
        x_card.locator(".counter", has_text="over the limit").wait_for()
        assert x_card.locator(".preview-part").count() == 1  # no thread made by itself
        split = x_card.get_by_role("button", name="Split into a thread of 2 for X")
        assert page.locator(f"#preview-{seed['linkedin']} button").count() == 0
        split.click()
        page.locator("#part-text-1").wait_for()
        page.wait_for_function(IDLE)
        assert page.locator(".thread-editor legend").inner_text() == "Thread (2 parts)"
        page.locator(f"#ch-{seed['linkedin']}").uncheck()
        page.wait_for_function(IDLE)

        when = datetime.now(UTC) + timedelta(days=3)
        page.fill("#schedule_at", when.strftime("%Y-%m-%dT12:00"))
        page.fill("#timezone-search", "new york")  # the zone list narrows as one types
        assert page.input_value("#timezone") == "America/New_York"
        assert page.locator("#timezone option:not([hidden])").count() == 1
        page.fill("#timezone-search", "")
        page.select_option("#timezone", "UTC")
        page.locator("#zone-times td", has_text="America/New_York").wait_for()
        shot(page, f"edit-01-composer-{width}")
        assert page.evaluate(PAGE_FITS)
        page.get_by_role("button", name="Save as draft").click()
        page.wait_for_url(base + "/")
        post = _post(engine, seed["workspace_id"])
        assert post.state == "draft" and len(post.parts) == 2

        # edit the draft from its page: it stays a draft
        page.goto(f"{base}/posts/{post.id}")
        page.get_by_role("link", name="Edit post").click()
        page.wait_for_url(f"{base}/compose/{post.id}")
        page.fill("#part-text-0", "Edited first part")
        page.get_by_role("button", name="Save changes (stays a draft)").click()
        page.wait_for_url(f"{base}/posts/{post.id}")
        page.get_by_text("Saved: the post is draft").wait_for()
        saved = _post(engine, seed["workspace_id"])
        assert (saved.state, saved.parts[0]["text"]) == ("draft", "Edited first part")

        # a reload in the middle of an edit brings the typing back
        page.goto(f"{base}/compose/{post.id}")
        page.fill("#part-text-1", "Typed before the reload")
        page.wait_for_function("() => document.getElementById('composer').dataset.autosaved")
        page.reload()
        page.locator(".autosave-note", has_text="Restored the changes").wait_for()
        assert page.input_value("#part-text-1") == "Typed before the reload"
        shot(page, f"edit-02-restored-{width}")

        # a validation error names the field in words and saves nothing
        page.fill("#schedule_at", (datetime.now(UTC) - timedelta(days=2)).strftime(
            "%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Schedule").click()
        page.locator("#schedule_at-error", has_text="the date and time is in the past").wait_for()
        assert _post(engine, seed["workspace_id"]).state == "draft"
        assert page.evaluate(PAGE_FITS)

        # the worker claims the post while it is open: the edit is refused and says why
        page.fill("#schedule_at", when.strftime("%Y-%m-%dT12:00"))
        page.get_by_role("button", name="Schedule").click()
        page.wait_for_url(f"{base}/posts/{post.id}")
        page.goto(f"{base}/compose/{post.id}")
        page.fill("#part-text-0", "Too late for this")
        _start_publishing(engine, post.id)
        page.get_by_role("button", name="Save changes").click()
        page.locator(".alert-error", has_text="this post started publishing; your edit was not "
                     "saved").wait_for()
        assert page.input_value("#part-text-0") == "Too late for this"  # still there to copy
        assert _post(engine, seed["workspace_id"]).parts[0]["text"] == "Edited first part"
        shot(page, f"edit-03-refused-{width}")
        assert page.evaluate(PAGE_FITS)
        assert page.script_errors == []
    finally:
        context.close()


def test_leaving_with_unsaved_changes_asks_first(browser, live_server):
    base, engine = live_server
    seed = _seed(engine, 1)
    context, page = new_page(browser, 1366)
    try:
        _sign_in(page, base, seed["email"])
        page.goto(base + "/compose")
        page.locator(f"#ch-{seed['x']}").check()
        page.fill("#part-text-0", "not saved yet")
        page.wait_for_function("() => !document.querySelector('.htmx-request')")
        with page.expect_event("dialog") as asked:
            page.close(run_before_unload=True)
        assert asked.value.type == "beforeunload"
        asked.value.dismiss()
    finally:
        context.close()
