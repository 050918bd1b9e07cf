"""A post whose media the platform could never take is refused when scheduled, with the reason."""

import io
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.posts.models import Post
from tests.media.conftest import jpeg, video


def later():
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


def upload(api, data, name="a.jpg"):
    return api.post("/media", data={"file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data").get_json()["id"]


def test_five_images_on_x_are_refused(api, make_channel, db, local_storage):
    channel = make_channel(api.workspace_id, platform="x")
    ids = [upload(api, jpeg(100 + i, 100)) for i in range(5)]
    answer = api.post("/posts", json={"channel_id": str(channel.id), "text": "five",
                                      "media_ids": ids, "schedule_at": later()})
    assert answer.status_code == 422
    assert "at most 4 images" in answer.get_json()["error"]["message"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Post)) == 0
    draft = api.post("/posts", json={"channel_id": str(channel.id), "text": "four",
                                     "media_ids": ids[:4], "schedule_at": later()})
    assert draft.status_code == 201


def test_too_long_video_is_refused_at_schedule_time(api, make_channel, local_storage):
    channel = make_channel(api.workspace_id, platform="x")
    clip = upload(api, video(seconds=150, fps=1, size=(64, 48)), "long.mp4")
    post = api.post("/posts", json={"channel_id": str(channel.id), "text": "watch",
                                    "media_ids": [clip]}).get_json()
    answer = api.post(f"/posts/{post['id']}/schedule", json={"schedule_at": later()})
    assert answer.status_code == 422
    assert "150 s long; x takes at most 140 s" in answer.get_json()["error"]["message"]
    assert api.get(f"/posts/{post['id']}").get_json()["state"] == "draft"


def test_instagram_panorama_is_refused_in_a_thread_part(api, make_channel, local_storage):
    channel = make_channel(api.workspace_id, platform="instagram")
    wide = upload(api, jpeg(3000, 1000))
    answer = api.post("/posts", json={"channel_id": str(channel.id), "schedule_at": later(),
                                      "parts": [{"text": "pano", "media_ids": [wide]}]})
    assert answer.status_code == 422
    assert "aspect ratio from 0.80 to 1.91" in answer.get_json()["error"]["message"]
