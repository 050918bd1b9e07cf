"""In a real Chromium: a TikTok sandbox channel in the composer offers the privacy levels its
creator_info gives, none preselected, and the post cannot be scheduled until one is chosen;
the attached video's conversion shows its queue, its progress and then ready, by polling.

No worker runs: the test plays the converter's part (claim, progress, convert) on the same
database and media storage, and the page must follow on its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.browser.conftest import shot
from tests.media.conftest import video

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "creator@example.com", "a long password"
LEVELS = ["MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
IDLE = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    return tmp_path_factory.mktemp("tiktok-instance")


@pytest.fixture(scope="module")
def server_env(sandbox_server, instance):
    return {"OPENPOST_TIKTOK_API_URL": f"{sandbox_server.url}/tiktok",
            "OPENPOST_INSTANCE_PATH": str(instance)}


@pytest.fixture(scope="module")
def channel(live_server, sandbox_server):
    """A signed-up workspace with a TikTok sandbox channel, as the connect flow stores it."""
    from app.auth.service import create_user
    from app.channels import service

    _base, engine = live_server
    with httpx.Client(timeout=5) as http:
        made = http.post(f"{sandbox_server.url}/_control/accounts",
                         json={"platform": "tiktok", "privacy_level_options": LEVELS}).json()
    with Session(engine, expire_on_commit=False) as sess:
        user = create_user(sess, EMAIL, PASSWORD, "Studio")
        sess.commit()
        return service.connect(
            sess, user.memberships[0].workspace_id, "test", platform="tiktok",
            handle=made["username"], credentials={k: made[k] for k in (
                "access_token", "refresh_token", "expires_at")},
            settings={"account_id": made["account_id"], "privacy_level_options": LEVELS})


@pytest.fixture
def converter(live_server, instance):
    """What a worker does with a queued conversion, on the server's database and storage."""
    from app.media import renditions, storage

    _base, engine = live_server
    storage.use(storage.LocalStorage(instance / "media"))
    yield renditions, (lambda: Session(engine))
    storage.use(None)


def _sign_in(page, base):
    page.goto(base + "/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def test_tiktok_privacy_and_video_conversion_in_the_composer(page, live_server, channel,
                                                            converter):
    from app.media.models import Media
    from app.posts.models import Post

    base, engine = live_server
    renditions, sessions = converter
    _sign_in(page, base)
    page.goto(base + "/compose")
    page.get_by_label(f"tiktok {channel.handle}").check()
    level = page.locator(f"#opt-{channel.id}-privacy_level")
    level.wait_for()
    assert level.locator("option").all_inner_texts() == ["Choose who can see it", "Friends",
                                                         "Only me"]
    assert level.input_value() == "", "no privacy level is preselected"
    assert page.locator(f"#opt-{channel.id}-allow_stitch").is_disabled()
    assert not page.locator(f"#opt-{channel.id}-allow_comment").is_checked()
    page.fill("#part-text-0", "Watch this")

    page.set_input_files("#media-file", files=[{
        "name": "clip.mp4", "mimeType": "video/mp4",
        "buffer": video(seconds=1.2, codec="mpeg4")}])  # not H.264: it must be converted
    page.get_by_role("button", name="Upload", exact=True).click()
    state = page.locator(f"#conversion-{channel.id} li")
    state.filter(has_text="clip.mp4: queued for conversion").wait_for()
    with Session(engine) as sess:
        media = sess.scalars(sa.select(Media)).one()
    token = renditions.claim(sessions, media.id, "tiktok")
    renditions.report(sessions, media.id, "tiktok", token, 0.4)
    state.filter(has_text="converting 40%").wait_for()  # the poll brings it, no reload
    shot(page, "10-tiktok-converting")
    renditions.convert_claimed(sessions, media, "tiktok", token)
    page.locator(f"#conversion-{channel.id} li[data-status=ready]",
                 has_text="clip.mp4: ready").wait_for()
    page.wait_for_function("() => !document.querySelector('#conversions[hx-trigger]')")

    when = datetime.now(UTC) + timedelta(days=2)
    page.wait_for_function(IDLE)
    page.fill("#schedule_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#timezone", "UTC")
    page.get_by_role("button", name="Schedule", exact=True).click()
    refusal = page.locator(f"#opt-{channel.id}-privacy_level-error")
    refusal.filter(has_text="choose who can see this TikTok post").wait_for()
    with Session(engine) as sess:  # refused: nothing scheduled (what autosave kept stays a draft)
        assert sess.scalar(sa.select(sa.func.count()).select_from(Post)
                           .where(Post.state != "draft")) == 0

    page.select_option(f"#opt-{channel.id}-privacy_level", "SELF_ONLY")
    page.wait_for_function(IDLE)
    shot(page, "11-tiktok-options")
    page.get_by_role("button", name="Schedule", exact=True).click()
    page.wait_for_url(base + "/")
    page.get_by_text("Scheduled: 1 post").wait_for()
    with Session(engine) as sess:
        post = sess.scalars(sa.select(Post)).one()
        assert post.state == "scheduled" and post.media_ids == [str(media.id)]
        assert post.options["privacy_level"] == "SELF_ONLY"
        assert post.options["disable_stitch"] is True
    assert page.script_errors == []
