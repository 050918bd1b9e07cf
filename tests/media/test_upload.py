"""Uploading media: type from the bytes, damaged files refused, encrypted at rest, isolation."""

import io

import pytest
import sqlalchemy as sa

from app.media.models import Media
from tests.media.conftest import jpeg, video


def upload(api, data, name="photo.jpg", alt=""):
    return api.post("/media", data={"file": (io.BytesIO(data), name), "alt_text": alt},
                    content_type="multipart/form-data")


def media_count(db):
    return db.scalar(sa.select(sa.func.count()).select_from(Media))


def test_type_comes_from_the_bytes_not_the_name(api, local_storage):
    answer = upload(api, jpeg(800, 600), name="holiday.txt", alt="A red square")
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["content_type"], body["width"], body["height"]) == ("image/jpeg", 800, 600)
    assert body["alt_text"] == "A red square"
    assert api.get(f"/media/{body['id']}").get_json()["id"] == body["id"]


def test_video_is_probed(api, local_storage):
    body = upload(api, video(seconds=2, audio=True), name="clip.mp4").get_json()
    assert body["content_type"] == "video/mp4"
    assert body["duration_ms"] == 2000 and (body["width"], body["height"]) == (160, 120)


@pytest.mark.parametrize("name,data,message", [
    ("text named png", b"hello, this is not an image at all" * 10, "unsupported file type"),
    ("zero bytes", b"", "empty"),
    ("truncated jpeg", jpeg(400, 300, noise=True)[:5000], "damaged or truncated"),
    ("truncated video", video(seconds=1)[:3000], "damaged or truncated"),
])
def test_bad_files_are_refused_and_nothing_is_stored(api, db, local_storage, name, data, message):
    answer = upload(api, data, name="x.png")
    assert answer.status_code == 422, name
    error = answer.get_json()["error"]
    assert error["field"] == "file" and message in error["message"]
    assert media_count(db) == 0
    assert not list(local_storage.root.rglob("*")) or \
        not [p for p in local_storage.root.rglob("*") if p.is_file()]


def test_oversized_upload_is_413(api, app, db, local_storage, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100_000)
    answer = upload(api, jpeg(2000, 2000, noise=True))
    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"] == "payload_too_large"
    assert media_count(db) == 0


def test_missing_file_field_is_named(api, local_storage):
    answer = api.post("/media", data={"alt_text": "x"}, content_type="multipart/form-data")
    assert answer.status_code == 422 and answer.get_json()["error"]["field"] == "file"


def test_bytes_on_disk_are_not_the_file(api, local_storage):
    original = jpeg(300, 200)
    assert upload(api, original).status_code == 201
    stored = [p for p in local_storage.root.rglob("*") if p.is_file()]
    assert len(stored) == 1
    raw = stored[0].read_bytes()
    assert raw != original and original[:4] not in raw and len(raw) >= len(original)


def test_another_workspaces_media_is_404(api, client, make_user, make_api_key, local_storage):
    other = make_user()
    theirs = make_api_key(other.memberships[0].workspace_id)
    body = client.post("/api/v1/media", headers=theirs, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(jpeg()), "a.jpg")}).get_json()
    assert api.get(f"/media/{body['id']}").status_code == 404
    assert api.patch(f"/media/{body['id']}", json={"alt_text": "mine"}).status_code == 404
    assert api.delete(f"/media/{body['id']}").status_code == 404
    still = client.get(f"/api/v1/media/{body['id']}", headers=theirs).get_json()
    assert still["alt_text"] == ""


def test_describe_and_delete(api, local_storage):
    body = upload(api, jpeg()).get_json()
    assert api.patch(f"/media/{body['id']}", json={"alt_text": "Sunset"}).get_json()[
        "alt_text"] == "Sunset"
    assert api.patch(f"/media/{body['id']}", json={"alt": "x"}).status_code == 422
    assert api.delete(f"/media/{body['id']}").status_code == 204
    assert api.get(f"/media/{body['id']}").status_code == 404
    assert not [p for p in local_storage.root.rglob("*") if p.is_file()]


def test_media_in_a_scheduled_post_cannot_be_deleted(api, make_channel, local_storage):
    from datetime import UTC, datetime, timedelta

    channel = make_channel(api.workspace_id)
    body = upload(api, jpeg()).get_json()
    api.post("/posts", json={"channel_id": str(channel.id), "parts": [
        {"text": "look", "media_ids": [body["id"]]}],
        "schedule_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
    answer = api.delete(f"/media/{body['id']}")
    assert answer.status_code == 409
    assert api.get(f"/media/{body['id']}").status_code == 200
