"""Schedule-time checks for Instagram, Facebook, LinkedIn and TikTok: what each refuses before
a post is ever queued, with a message naming the problem, through the API as a user sees it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from app.errors import ValidationFailed
from app.platforms.base import Part
from app.platforms.registry import get_publisher
from tests.media.conftest import jpeg, video

IMAGE = {"id": "i", "content_type": "image/jpeg", "width": 1080, "height": 1080}
VIDEO = {"id": "v", "content_type": "video/mp4", "width": 720, "height": 1280,
         "duration_ms": 10_000}
TIKTOK = {"privacy_level_options": ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]}


def check(platform, text="Hello", media=(), settings=None, options=None, parts=None):
    return get_publisher(platform, None).validate(parts or [Part(text, list(media))],
                                                  settings or {}, options or {})


@pytest.mark.parametrize(("platform", "text", "media", "options", "message"), [
    ("instagram", "Words only", [], {}, "Instagram posts need an image or a video"),
    ("instagram", "x" * 2201, [IMAGE], {}, "2201/2200 characters"),
    ("instagram", "#a " * 31, [IMAGE], {}, "at most 30 hashtags"),
    ("instagram", "@a " * 21, [IMAGE], {}, "at most 20 mentions"),
    ("instagram", "Eleven", [IMAGE] * 11, {}, "at most 10 items"),
    ("tiktok", "Words only", [], {"privacy_level": "SELF_ONLY"}, "need a video or photos"),
    ("tiktok", "No level", [VIDEO], {}, "choose who can see this TikTok post"),
    ("tiktok", "Wrong level", [VIDEO], {"privacy_level": "FOLLOWER_OF_CREATOR"},
     "not offered for this account"),
    ("tiktok", "Two videos", [VIDEO, VIDEO], {"privacy_level": "SELF_ONLY"}, "one video alone"),
    ("facebook", "", [], {}, "the post is empty"),
    ("linkedin", "x" * 3001, [], {}, "3001/3000 characters"),
    ("linkedin", "Hi", [], {"visibility": "EVERYONE"}, "visibility must be one of"),
    ("linkedin", "Long video", [{**VIDEO, "duration_ms": 2_000_000}], {}, "at most 1800 s"),
])
def test_refused_at_schedule_time(platform, text, media, options, message):
    with pytest.raises(ValidationFailed) as caught:
        check(platform, text, media, TIKTOK if platform == "tiktok" else {}, options)
    assert message in caught.value.message


@pytest.mark.parametrize("platform", ["instagram", "facebook", "linkedin", "tiktok"])
def test_no_threads(platform):
    with pytest.raises(ValidationFailed) as caught:
        check(platform, parts=[Part("one", [VIDEO]), Part("two", [VIDEO])])
    assert "has no threads" in caught.value.message


@pytest.mark.parametrize(("platform", "media", "options"), [
    ("facebook", [], {}),
    ("linkedin", [], {}),
    ("linkedin", [IMAGE] * 20, {}),
    ("instagram", [IMAGE, VIDEO], {}),
    ("tiktok", [IMAGE] * 35, {"privacy_level": "SELF_ONLY"}),
    ("tiktok", [VIDEO], {"privacy_level": "PUBLIC_TO_EVERYONE"}),
])
def test_accepted(platform, media, options):
    assert check(platform, "Fine", media, TIKTOK if platform == "tiktok" else {}, options) == []


def future() -> str:
    return (datetime.now(UTC) + timedelta(hours=2)).isoformat()


def upload(api, data, name):
    answer = api.post("/media", data={"file": (io.BytesIO(data), name)},
                      content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_text_only_instagram_post_cannot_be_scheduled(api, make_channel):
    channel_id = str(make_channel(api.workspace_id, platform="instagram", account_id="1").id)
    answer = api.post("/posts", json={"channel_id": channel_id, "text": "No picture",
                                      "schedule_at": future()})
    assert answer.status_code == 422
    assert "Instagram posts need an image or a video" in answer.get_json()["error"]["message"]
    draft = api.post("/posts", json={"channel_id": channel_id, "text": "No picture"})
    assert draft.status_code == 201 and draft.get_json()["state"] == "draft"


def test_tiktok_video_schedules_with_an_offered_privacy_level(api, make_channel, tmp_path):
    from app.media import storage

    storage.use(storage.LocalStorage(tmp_path))
    try:
        channel_id = str(make_channel(api.workspace_id, platform="tiktok", account_id="open-1",
                                      privacy_level_options=["SELF_ONLY"]).id)
        media = upload(api, video(seconds=2.0, fps=25), "v.mp4")
        body = {"channel_id": channel_id, "text": "Dance", "media_ids": [media],
                "schedule_at": future()}
        refused = api.post("/posts", json={**body, "options": {"privacy_level": "PUBLIC_TO_EVERYONE"}})
        assert refused.status_code == 422 and "SELF_ONLY" in refused.get_json()["error"]["message"]
        accepted = api.post("/posts", json={**body, "options": {"privacy_level": "SELF_ONLY"}})
        assert accepted.status_code == 201, accepted.get_json()
        assert accepted.get_json()["state"] == "scheduled"
        options = api.get(f"/channels/{channel_id}/post-options").get_json()
        assert options["options"]["privacy_level"] == {"type": "choice", "required": True,
                                                       "choices": ["SELF_ONLY"]}
    finally:
        storage.use(None)


def test_linkedin_multi_image_schedules(api, make_channel, tmp_path):
    from app.media import storage

    storage.use(storage.LocalStorage(tmp_path))
    try:
        channel = make_channel(api.workspace_id, platform="linkedin", author_urn="urn:li:person:a")
        media = [upload(api, jpeg(400, 300), f"{i}.jpg") for i in range(3)]
        answer = api.post("/posts", json={"channel_id": str(channel.id), "text": "Three",
                                          "media_ids": media, "schedule_at": future()})
        assert answer.status_code == 201, answer.get_json()
    finally:
        storage.use(None)


def test_instagram_carousel_mixing_a_video_and_photos_schedules(api, make_channel, tmp_path):
    from app.media import storage

    storage.use(storage.LocalStorage(tmp_path))
    try:
        channel_id = str(make_channel(api.workspace_id, platform="instagram", account_id="1").id)
        media = [upload(api, jpeg(1080, 1080), "a.jpg"),
                 upload(api, video(seconds=3.0, fps=25), "v.mp4")]
        answer = api.post("/posts", json={"channel_id": channel_id, "text": "Mixed",
                                          "media_ids": media, "schedule_at": future()})
        assert answer.status_code == 201, answer.get_json()
        too_many = [upload(api, jpeg(1080, 1080), f"{i}.jpg") for i in range(10)]
        refused = api.post("/posts", json={"channel_id": channel_id, "text": "Eleven",
                                           "media_ids": media[1:] + too_many,
                                           "schedule_at": future()})
        assert refused.status_code == 422
        assert "at most 10 items" in refused.get_json()["error"]["message"]
    finally:
        storage.use(None)


def test_composer_preview_counts_a_caption_without_splitting_it():
    from app.platforms import text

    [part] = text.preview("instagram", {}, "word " * 500)
    assert part["limit"] == 2200 and part["count"] == 2499 and part["ok"] is False
    [fine] = text.preview("linkedin", {}, "Hello 👋🏽")
    assert fine["count"] == 7 and fine["ok"] is True
