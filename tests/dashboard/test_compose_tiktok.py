"""A TikTok channel in the composer: creator_info asked now (sandbox, real HTTP), its privacy
levels offered with none preselected, interactions the creator turned off disabled, commercial
content disclosure, inbox drafts; the choices saved in the post's options, bad ones refused."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.channels import service
from app.channels.models import Channel
from app.media.models import Media
from app.posts.models import Post
from tests.media.conftest import video


@pytest.fixture
def tiktok(social, signed_in, db):
    """A TikTok sandbox account connected as a channel of the signed-in workspace."""
    def make(**extra):
        account = social("tiktok", **extra)
        channel = service.connect(db, signed_in.workspace_id, "test", platform="tiktok",
                                  handle=account.handle, credentials=account.credentials,
                                  settings=account.settings)
        return account, channel
    return make


def _panel(html: str, channel) -> str:
    found = re.search(rf'<fieldset class="tiktok-options" id="tiktok-{channel.id}">.*?</fieldset>'
                      r'\s*</section>', html, re.S)
    assert found, "no TikTok options for the channel"
    return " ".join(found.group(0).split())


def _options(html: str, channel) -> list[str]:
    select = re.search(rf'<select id="opt-{channel.id}-privacy_level".*?</select>', html, re.S)
    return [" ".join(o.split()) for o in re.findall(r"<option[^>]*>[^<]*</option>",
                                                    select.group(0))]


def _posts(db, workspace_id) -> list[Post]:
    db.expire_all()
    return list(db.scalars(sa.select(Post).where(Post.workspace_id == workspace_id)))


def _future() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


def _dance(signed_in, db, channel, privacy: str) -> dict:
    """A video uploaded in the composer, and the form that schedules it as a direct post."""
    signed_in.post("/compose/media", {"channel_id": str(channel.id), "part": "x",
                                      "file": (io.BytesIO(video(seconds=1.2)), "clip.mp4")})
    media = db.scalars(sa.select(Media)).one()
    return {"channel_id": str(channel.id), "part": "Dance", "media_id": str(media.id),
            "action": "schedule", "schedule_at": _future(), "timezone": "UTC",
            f"opt-{channel.id}-post_mode": "DIRECT_POST",
            f"opt-{channel.id}-privacy_level": privacy, f"opt-{channel.id}-allow_comment": "on"}


def test_choosing_a_tiktok_channel_shows_creator_info_choices(signed_in, tiktok, db):
    account, channel = tiktok(privacy_level_options=["MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"],
                              max_video_post_duration_sec=180)
    html = signed_in.post("/compose/choices", {"channel_id": str(channel.id),
                                               "part": "hi"}).get_data(as_text=True)
    assert account.requests("creator_info"), "creator_info is asked when the channel is shown"
    assert _options(html, channel) == [
        '<option value="" selected>Choose who can see it</option>',
        '<option value="MUTUAL_FOLLOW_FRIENDS" >Friends</option>',
        '<option value="SELF_ONLY" >Only me</option>']
    panel = _panel(html, channel)
    assert re.search(r'name="opt-[^"]+-allow_comment"\s*>', panel), "comments start off"
    assert re.search(r'name="opt-[^"]+-allow_stitch"\s+disabled>', panel), \
        "the creator turned stitches off"
    assert "This account can post videos up to 180 s." in panel
    db.expire_all()
    assert db.get(Channel, channel.id).settings["creator_info"]["stitch_disabled"] is True


def test_scheduling_needs_a_chosen_privacy_level_and_saves_the_choices(signed_in, tiktok, db,
                                                                       local_storage):
    _account, channel = tiktok()
    form = _dance(signed_in, db, channel, privacy="")
    refused = signed_in.post("/compose", form)
    assert refused.status_code == 422
    assert re.search(rf'<p id="opt-{channel.id}-privacy_level-error" class="field-error" '
                     r'role="alert">choose who can see this TikTok post',
                     refused.get_data(as_text=True))
    assert _posts(db, signed_in.workspace_id) == []

    form[f"opt-{channel.id}-privacy_level"] = "SELF_ONLY"
    assert signed_in.post("/compose", form, htmx=False).status_code == 302
    [post] = _posts(db, signed_in.workspace_id)
    assert post.state == "scheduled"
    assert post.options == {"post_mode": "DIRECT_POST", "privacy_level": "SELF_ONLY",
                            "disable_comment": False, "disable_duet": True,
                            "disable_stitch": True, "commercial_content": False,
                            "brand_organic_toggle": False, "brand_content_toggle": False}


def test_branded_content_cannot_be_private(signed_in, tiktok, db):
    _account, channel = tiktok()
    signed_in.post("/compose/choices", {"channel_id": str(channel.id)})
    p = f"opt-{channel.id}-"
    form = {"channel_id": str(channel.id), "part": "Ad", f"{p}post_mode": "DIRECT_POST",
            f"{p}privacy_level": "SELF_ONLY", f"{p}commercial_content": "on",
            f"{p}brand_content_toggle": "on"}
    html = signed_in.post("/compose/options", form).get_data(as_text=True)
    assert '<option value="SELF_ONLY" disabled>Only me (branded content cannot be private)' \
        in " ".join(html.split())
    assert "TikTok will label the post “Paid partnership”." in _panel(html, channel)
    refused = signed_in.post("/compose", {**form, "action": "draft"})
    assert refused.status_code == 422
    assert re.search(rf'id="{p}privacy_level-error" class="field-error" role="alert">branded '
                     r'content cannot be private', refused.get_data(as_text=True))
    assert _posts(db, signed_in.workspace_id) == []


def test_disclosure_needs_what_it_promotes(signed_in, tiktok, db):
    _account, channel = tiktok()
    p = f"opt-{channel.id}-"
    refused = signed_in.post("/compose", {"channel_id": str(channel.id), "part": "Ad",
                                          f"{p}commercial_content": "on", "action": "draft"})
    assert refused.status_code == 422
    assert re.search(rf'id="{p}commercial_content-error" class="field-error" role="alert">say '
                     r'what the post promotes', refused.get_data(as_text=True))
    assert _posts(db, signed_in.workspace_id) == []


def test_inbox_drafts_need_no_privacy_level(signed_in, tiktok, db, local_storage):
    _account, channel = tiktok()
    signed_in.post("/compose/media", {"channel_id": str(channel.id), "part": "x",
                                      "file": (io.BytesIO(video(seconds=1.2)), "clip.mp4")})
    media = db.scalars(sa.select(Media)).one()
    p = f"opt-{channel.id}-"
    shown = signed_in.post("/compose/options", {"channel_id": str(channel.id),
                                                f"{p}post_mode": "MEDIA_UPLOAD"})
    assert "privacy_level" not in _panel(shown.get_data(as_text=True), channel)
    answer = signed_in.post("/compose", {"channel_id": str(channel.id), "part": "Finish me",
                                         "media_id": str(media.id), f"{p}post_mode": "MEDIA_UPLOAD",
                                         "action": "schedule", "schedule_at": _future(),
                                         "timezone": "UTC"}, htmx=False)
    assert answer.status_code == 302
    [post] = _posts(db, signed_in.workspace_id)
    assert post.options["post_mode"] == "MEDIA_UPLOAD" and "privacy_level" not in post.options


def test_when_tiktok_cannot_be_asked_the_last_known_options_are_shown(signed_in, tiktok):
    account, channel = tiktok(privacy_level_options=["SELF_ONLY"])
    account.fault("creator_info", "5xx")
    html = signed_in.post("/compose/choices", {"channel_id": str(channel.id)}).get_data(
        as_text=True)
    panel = _panel(html, channel)
    assert "TikTok could not be asked just now" in panel
    assert _options(html, channel)[1:] == ['<option value="SELF_ONLY" >Only me</option>']


def test_an_expiring_token_is_refreshed_and_kept_before_asking(signed_in, tiktok, db):
    account, channel = tiktok()
    old = dict(channel.credentials)
    channel.credentials = {**old, "expires_at": old["expires_at"] - 7200 + 60}
    db.commit()
    html = signed_in.post("/compose/choices", {"channel_id": str(channel.id)}).get_data(
        as_text=True)
    assert "could not be asked" not in _panel(html, channel)
    db.expire_all()
    fresh = db.get(Channel, channel.id).credentials
    assert fresh["refresh_token"] != old["refresh_token"], "the rotated refresh token is kept"
    assert fresh["access_token"] != old["access_token"]


def test_the_caption_counter_counts_utf16_units_as_tiktok_does(signed_in, tiktok):
    _account, channel = tiktok()
    caption = "\U0001F600" * 1101  # 1101 emoji: 2202 UTF-16 units, over TikTok's 2200
    html = signed_in.post("/compose/preview", {"channel_id": str(channel.id),
                                               "part": caption}).get_data(as_text=True)
    counter = re.search(rf'id="preview-{channel.id}".*?<p class="counter"[^>]*>(.*?)</p>',
                        html, re.S)
    assert " ".join(counter.group(1).split()) == \
        "2202 / 2200 <strong>— 2 over the limit</strong>"


def test_editing_a_tiktok_post_starts_from_its_saved_choices(signed_in, tiktok, db,
                                                            local_storage):
    _account, channel = tiktok()
    form = _dance(signed_in, db, channel, privacy="SELF_ONLY")
    assert signed_in.post("/compose", form, htmx=False).status_code == 302
    [post] = _posts(db, signed_in.workspace_id)
    html = signed_in.get(f"/compose/{post.id}").get_data(as_text=True)
    assert [re.search(r'value="([^"]*)"', o).group(1) for o in _options(html, channel)
            if "selected" in o] == ["SELF_ONLY"]
    panel = _panel(html, channel)
    assert re.search(rf'id="opt-{channel.id}-allow_comment"[^>]*checked', panel)
    assert not re.search(rf'id="opt-{channel.id}-allow_duet"[^>]*checked', panel)
