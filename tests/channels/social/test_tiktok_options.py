"""TikTok post options as the creator chose them reach TikTok (sandbox, real HTTP); inbox uploads
become drafts in the creator's inbox; bad combinations are refused naming the option."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.posts.models import Post
from tests.media.conftest import jpeg, video


def clip(stored, seconds: float = 1.0) -> dict:
    return stored(video(seconds=seconds, fps=25, size=(160, 120)), "clip.mp4")


def test_direct_post_sends_interactions_and_disclosure(social, stored):
    p = social("tiktok")
    p.run("Sponsored", [clip(stored)], options={
        "privacy_level": "PUBLIC_TO_EVERYONE", "disable_comment": True, "disable_duet": False,
        "disable_stitch": False, "commercial_content": True, "brand_content_toggle": True})
    [post] = p.posts()
    assert post["mode"] == "direct" and post["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert post["disable_comment"] is True and post["disable_duet"] is False
    assert post["disable_stitch"] is True, "the creator turned stitches off: they stay off"
    assert post["brand_content_toggle"] is True and post["brand_organic_toggle"] is False


def test_photo_post_has_comments_but_no_duet_or_stitch(social, stored):
    p = social("tiktok")
    p.run("Photos", [stored(jpeg(1080, 1350), "a.jpg")],
          options={"privacy_level": "SELF_ONLY", "brand_organic_toggle": True})
    [post] = p.posts()
    assert post["disable_comment"] is False and post["brand_organic_toggle"] is True
    assert post["disable_duet"] is None and post["disable_stitch"] is None


@pytest.mark.parametrize("kind", ["video", "photo"])
def test_inbox_upload_is_a_draft_for_the_creator(social, stored, kind):
    p = social("tiktok")
    media = [clip(stored)] if kind == "video" else [stored(jpeg(1080, 1350), "a.jpg")]
    result, _ = p.run("Finish me in the app", media, options={
        "post_mode": "MEDIA_UPLOAD", "privacy_level": None})
    [post] = p.posts()
    assert post["mode"] == "inbox" and post["kind"] == kind and post["privacy_level"] is None
    assert result.live_url is None and result.provider_post_id.startswith(kind[0] + "_pub")
    assert "sent to the TikTok inbox" in result.warnings[0]
    assert not p.requests("creator_info"), "no direct post, no creator_info"


def later() -> str:
    return (datetime.now(UTC) + timedelta(hours=2)).isoformat()


@pytest.fixture
def tiktok_channel(make_channel, api):
    return make_channel(api.workspace_id, platform="tiktok", account_id="open-1",
                        privacy_level_options=["PUBLIC_TO_EVERYONE", "SELF_ONLY"],
                        creator_info={"max_video_post_duration_sec": 30,
                                      "privacy_level_options": ["PUBLIC_TO_EVERYONE",
                                                                "SELF_ONLY"]})


@pytest.mark.parametrize(("options", "field", "words"), [
    ({"privacy_level": "SELF_ONLY", "brand_content_toggle": True}, "options.privacy_level",
     "branded content cannot be private"),
    ({"commercial_content": True}, "options.commercial_content", "your brand, branded content"),
    ({"disable_comment": "yes"}, "options.disable_comment", "must be true or false"),
    ({"privacy_level": "FOLLOWER_OF_CREATOR"}, "options.privacy_level",
     "must be one of PUBLIC_TO_EVERYONE, SELF_ONLY"),
    ({"post_mode": "LATER"}, "options.post_mode", "must be one of DIRECT_POST, MEDIA_UPLOAD"),
])
def test_bad_options_are_refused_naming_the_option(api, db, tiktok_channel, options, field,
                                                   words):
    answer = api.post("/posts", json={"channel_id": str(tiktok_channel.id), "text": "Draft",
                                      "options": options})
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["field"] == field and words in error["message"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Post)) == 0


def test_a_video_longer_than_the_creator_may_post_is_refused_when_scheduled(
        api, tiktok_channel, local_storage):
    clip_id = api.post("/media", data={"file": (io.BytesIO(video(seconds=40, fps=1, size=(64, 48))),
                                                "long.mp4")},
                       content_type="multipart/form-data").get_json()["id"]
    answer = api.post("/posts", json={"channel_id": str(tiktok_channel.id), "text": "Long",
                                      "media_ids": [clip_id], "schedule_at": later(),
                                      "options": {"privacy_level": "SELF_ONLY"}})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["message"] == \
        "this TikTok account can post videos up to 30 s; this one is 40 s"
