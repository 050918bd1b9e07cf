"""A new user in a real Chromium: first run, compose a thread, live badges, calendar drag, retry.

The publishing engine is not running: the test plays the worker's part through the lifecycle,
and the page must follow on its own (polling), without a reload.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser
TZ = "Europe/Berlin"
EMAIL, PASSWORD = "owner@example.com", "a long password"


@pytest.fixture(scope="module")
def server_env() -> dict:
    """`openpost web` leaves the sandbox out unless asked: this journey asks for it."""
    return {"OPENPOST_SANDBOX": "on"}


def _workspace_id(engine):
    from app.auth.models import Workspace

    with Session(engine) as sess:
        return sess.scalar(sa.select(Workspace.id).where(Workspace.name == "Acme"))


def _channel(engine):
    from app.channels.models import Channel

    with Session(engine) as sess:
        return sess.scalar(sa.select(Channel).order_by(Channel.created_at))


def _post(engine, post_id):
    from app.posts.models import Post

    with Session(engine, expire_on_commit=False) as sess:
        return sess.get(Post, post_id)


def _transition(engine, post_id, *targets, error=None, live_url=None):
    """What a worker does: claim, then finish (or fail)."""
    from app.posts.lifecycle import transition
    from app.posts.models import Post

    for target in targets:
        with Session(engine) as sess:
            post = sess.get(Post, post_id, with_for_update=True)
            transition(sess, post, target, actor="worker:test", error=error)
            if target == "published":
                post.live_url, post.provider_post_id = live_url, "109"
            sess.commit()


def _schedule(engine, text, when):
    from app.posts import service

    with Session(engine, expire_on_commit=False) as sess:
        channel = _channel(engine)
        return service.create_post(sess, channel.workspace_id, "test", channel_id=channel.id,
                                   text=text, schedule_at=when)


def test_first_run_leads_to_setup_then_offers_the_sandbox(page, live_server):
    base, _engine = live_server
    page.goto(base + "/")
    assert page.url.endswith("/setup")
    page.fill("#workspace", "Acme")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.fill("#timezone", TZ)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    sandbox = page.get_by_role("link", name="Try the sandbox")
    assert sandbox.get_attribute("href") == "/channels/connect/sandbox"
    shot(page, "01-empty-post-list")


def test_compose_a_thread_with_server_counted_previews_and_schedule_it(page, live_server):
    base, engine = live_server
    from app.channels import service

    with Session(engine) as sess:  # the connect flow is another page's job
        service.connect(sess, _workspace_id(engine), "test", platform="mastodon",
                        handle="@acme", timezone=TZ, credentials={"access_token": "t"},
                        settings={"instance_url": "https://m.example", "max_characters": 500})
    page.goto(base + "/compose")
    page.get_by_label("mastodon @acme").check()
    page.fill("#part-text-0", "Big news 🎉 today")
    counter = page.locator("#previews .counter").first
    counter.filter(has_text="16 / 500").wait_for()  # the emoji is one grapheme
    page.get_by_role("button", name="+ Add a part (thread)").click()
    # Type only once htmx has swapped the new editor in and wired its triggers.
    page.locator("#part-text-1").wait_for()
    page.wait_for_function("() => !document.querySelector("
                           "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")
    page.locator("#part-text-1").fill("Details in the second part")
    page.locator("#previews .counter", has_text="Part 2: 26 / 500").wait_for()
    page.locator("#part-text-0").fill("x" * 510)
    page.locator("#previews .counter", has_text="10 over the limit").wait_for()
    page.locator("#part-text-0").fill("Big news 🎉 today")
    page.locator("#previews .counter", has_text="Part 1: 16 / 500").wait_for()
    _attach_a_photo(page)
    when = (datetime.now(ZoneInfo(TZ)) + timedelta(days=2)).replace(hour=10, minute=0)
    page.fill("#schedule_at", when.strftime("%Y-%m-%dT%H:%M"))
    shot(page, "02-composer")
    page.get_by_role("button", name="Schedule", exact=True).click()
    page.wait_for_url(base + "/")
    page.get_by_text("Scheduled: 1 post").wait_for()
    row = page.locator("table.posts tbody tr").first
    assert "thread of 2" in row.inner_text()
    assert row.locator(".status-cell .live-key").count() == 1
    assert page.locator("#live-poll").get_attribute("hx-trigger") == "every 2s"


def test_badge_follows_the_worker_to_published_without_a_reload(page, live_server):
    base, engine = live_server
    post = _schedule(engine, "watch me go", datetime.now(ZoneInfo(TZ)) + timedelta(hours=3))
    page.goto(base + "/")
    cell = page.locator(f"#status-{post.id}")
    assert cell.get_attribute("data-state") == "scheduled"
    page.evaluate("window.notReloaded = true")
    _transition(engine, post.id, "publishing")
    page.locator(f"#status-{post.id}[data-state=publishing]").wait_for()
    _transition(engine, post.id, "published", live_url="https://m.example/@acme/109")
    page.locator(f"#status-{post.id}[data-state=published]").wait_for()
    done = page.locator(f"#status-{post.id}")
    assert done.locator(".live-key").count() == 0  # no longer named by the page's poll
    assert done.get_by_role("link", name="View live post").get_attribute("href") == \
        "https://m.example/@acme/109"
    assert page.evaluate("window.notReloaded") is True
    shot(page, "03-post-list")


def test_drag_a_post_on_the_calendar_to_reschedule_it(page, live_server):
    base, engine = live_server
    tz = ZoneInfo(TZ)
    # The 10th and 12th of next month: both always in the future and on one month's grid.
    start = (datetime.now(tz).replace(day=1) + timedelta(days=32)).replace(
        day=10, hour=9, minute=30, second=0, microsecond=0)
    post = _schedule(engine, "drag me", start)
    target = start + timedelta(days=2)
    page.goto(f"{base}/calendar?view=week&date={start.date().isoformat()}")
    shot(page, "04-calendar-week")
    page.goto(f"{base}/calendar?date={start.date().isoformat()}")
    chip = page.locator(f"#chip-{post.id}")
    assert "scheduled" in chip.inner_text()
    page.drag_and_drop(f"#chip-{post.id}", f'td[data-day="{target.date().isoformat()}"]')
    page.locator("#calendar .alert-ok", has_text="Moved to").wait_for()
    assert page.locator(f'td[data-day="{target.date().isoformat()}"] #chip-{post.id}').count() == 1
    assert _post(engine, post.id).schedule_at == target
    shot(page, "05-calendar-month")
    # In the week view a slot sets the hour too; the minutes stay.
    page.goto(f"{base}/calendar?view=week&date={target.date().isoformat()}")
    slot = f'td[data-day="{target.date().isoformat()}"][data-hour="14"]'
    page.drag_and_drop(f"#chip-{post.id}", slot)
    page.locator("#calendar .alert-ok", has_text="Moved to").wait_for()
    assert page.locator(f"{slot} #chip-{post.id}").count() == 1
    assert _post(engine, post.id).schedule_at == target.replace(hour=14)
    # A published post stays where it is, and the page says why.
    from app.posts.models import Post

    with Session(engine) as sess:
        published = sess.scalar(sa.select(Post.id).where(Post.state == "published"))
        published_day = sess.get(Post, published).schedule_at.astimezone(tz).date()
    page.goto(f"{base}/calendar?date={published_day.isoformat()}")
    step = timedelta(days=1 if (published_day + timedelta(days=1)).month == published_day.month
                     else -1)
    other_day = (published_day + step).isoformat()
    page.drag_and_drop(f"#chip-{published}", f'td[data-day="{other_day}"]')
    refusal = page.locator("#calendar .alert-error")
    refusal.wait_for()
    assert "a published post can no longer be edited" in refusal.inner_text()
    assert page.locator(f'td[data-day="{published_day.isoformat()}"] #chip-{published}').count() == 1


def test_a_failure_reaches_the_notification_center_and_is_retried(page, live_server):
    base, engine = live_server
    post = _schedule(engine, "doomed", datetime.now(ZoneInfo(TZ)) + timedelta(hours=5))
    page.goto(base + "/")
    _transition(engine, post.id, "publishing", "failed",
                error=("platform_error", "Validation failed: Text character limit exceeded"))
    # The page's one poll brings the failure, and its answer refreshes the bell out of band.
    cell = page.locator(f"#status-{post.id}[data-state=failed]")
    cell.wait_for()
    assert "Text character limit exceeded" in cell.inner_text()
    page.locator("#bell .bell-count", has_text=re.compile(r"^[1-9]")).wait_for()
    page.click("#bell")
    page.wait_for_url(base + "/notifications")
    item = page.locator(".notification.unread").first
    assert "A post failed to publish" in item.inner_text()
    assert "Text character limit exceeded" in item.inner_text()
    shot(page, "06-notifications")
    item.get_by_role("link", name="Open the post").click()
    page.wait_for_url(re.compile(rf"/posts/{post.id}$"))
    page.get_by_role("button", name="Retry").click()
    page.locator(f"#status-{post.id}[data-state=scheduled]").wait_for()
    assert _post(engine, post.id).state == "scheduled"
    page.goto(base + "/notifications")
    page.get_by_role("button", name="Mark all as read").click()
    page.locator("#bell .bell-count", has_text=re.compile(r"^0$")).wait_for()


def test_channels_banner_and_settings_pages(page, live_server):
    base, _engine = live_server
    page.goto(base + "/channels")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Disconnect").click()
    page.locator("#banners .banner-bad").wait_for()  # arrives out of band, no reload
    assert page.get_by_role("link", name="Reconnect").first.get_attribute("href").startswith(
        "/channels/connect/mastodon?channel=")
    shot(page, "07-channels")
    page.goto(base + "/calendar")
    assert "Disconnected:" in page.locator("#banners").inner_text()
    shot(page, "07-disconnected-banner")
    page.goto(base + "/settings/api-keys")
    page.fill("#key-name", "ci")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key")
    key.wait_for()
    assert key.input_value().startswith("op_")
    shot(page, "08-settings-api-keys")
    page.goto(base + "/settings/members")
    shot(page, "09-settings-members")
    assert page.script_errors == []


def _attach_a_photo(page):
    """Upload from the composer: the file comes back chosen, with its alt text, and the
    thread typed so far is kept."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 30)).save(buffer, "PNG")
    page.set_input_files("#media-file", files=[{"name": "launch.png", "mimeType": "image/png",
                                                "buffer": buffer.getvalue()}])
    page.fill("#new-alt-text", "The launch banner")
    page.get_by_role("button", name="Upload", exact=True).click()
    chosen = page.locator('#media-picker input[name="media_id"]:checked')
    chosen.wait_for()
    media_id = chosen.get_attribute("value")
    assert page.input_value(f"#alt-{media_id}") == "The launch banner"
    thumb = page.locator(f'label[for="media-{media_id}"] img.thumb')
    page.wait_for_function("img => img.complete && img.naturalWidth === 64",
                           arg=thumb.element_handle())  # the signed link really serves it
    assert page.input_value("#part-text-1") == "Details in the second part"
    page.wait_for_function("() => !document.querySelector("
                           "'.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")
