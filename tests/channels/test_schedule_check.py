"""A post its channel could not publish is refused when it is scheduled, with the reason."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from app.media.service import upload
from app.platforms.errors import UnsupportedPlatform
from app.platforms.registry import get_publisher

LATER = (datetime.now(UTC) + timedelta(hours=2)).isoformat()


def schedule(api, channel, **body):
    return api.post("/posts", json={"channel_id": str(channel.id), "schedule_at": LATER, **body})


def test_explicit_part_over_the_limit_is_named(api, make_channel):
    channel = make_channel(api.workspace_id, "x")
    answer = schedule(api, channel, parts=[{"text": "fine"}, {"text": "a" * 312}])
    assert answer.status_code == 422
    assert answer.get_json()["error"]["message"] == "part 2 is 312/280 characters on X"


def test_cjk_counts_double_on_x(api, make_channel):
    channel = make_channel(api.workspace_id, "x")
    answer = schedule(api, channel, parts=[{"text": "one"}, {"text": "日" * 141}])
    assert answer.get_json()["error"]["message"] == "part 2 is 282/280 characters on X"


def test_long_text_without_auto_thread_is_refused(api, make_channel):
    channel = make_channel(api.workspace_id, "bluesky", pds_url="https://pds.example")
    answer = schedule(api, channel, text="word " * 80, options={"auto_thread": False})
    assert answer.status_code == 422
    assert "auto_thread is off" in answer.get_json()["error"]["message"]
    assert "399/300 graphemes" in answer.get_json()["error"]["message"]


def test_long_text_becomes_a_thread_within_the_instances_own_limit(api, make_channel):
    channel = make_channel(api.workspace_id, "mastodon", instance_url="https://m.example",
                           max_characters=1000)
    fits = schedule(api, channel, text="word " * 190)
    assert fits.status_code == 201
    assert fits.get_json()["warnings"] == []
    split = schedule(api, channel, text="word " * 300)
    assert split.status_code == 201
    assert split.get_json()["warnings"] == ["the text was split into a thread of 2 parts"]


def test_too_many_images_are_refused(api, db, make_channel):
    channel = make_channel(api.workspace_id, "bluesky", pds_url="https://pds.example")
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "PNG")
    ids = [str(upload(db, api.workspace_id, "test", "p.png", buffer.getvalue()).id) for _ in range(5)]
    answer = schedule(api, channel, text="pictures", media_ids=ids)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["message"] == "the post has 5 images; Bluesky allows 4"


def test_a_post_tiktok_cannot_take_stays_a_draft(api, make_channel):
    channel = make_channel(api.workspace_id, "tiktok")
    draft = api.post("/posts", json={"channel_id": str(channel.id), "text": "soon"})
    assert draft.status_code == 201
    answer = api.post(f"/posts/{draft.get_json()['id']}/schedule", json={"schedule_at": LATER})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["message"] == "TikTok posts need a video or photos"
    assert api.get(f"/posts/{draft.get_json()['id']}").get_json()["state"] == "draft"


def test_an_unknown_platform_has_no_publisher():
    with pytest.raises(UnsupportedPlatform, match="youtube"):
        get_publisher("youtube", None)
