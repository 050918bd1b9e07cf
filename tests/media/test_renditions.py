"""Platform renditions are made once, stored, served by signed link, and refusals are recorded."""

import io

import pytest
from sqlalchemy.orm import Session

from app.media import convert, renditions
from app.media.models import Media
from tests.media.conftest import jpeg, video


@pytest.fixture
def sessions(db):
    connection = db.get_bind()  # the outer connection, not a savepoint of the scoped session
    return lambda: Session(bind=connection, join_transaction_mode="create_savepoint")


def uploaded(api, data, name="a.jpg"):
    return api.post("/media", data={"file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data").get_json()


def test_rendition_is_made_once_and_reported(api, db, sessions, local_storage):
    body = uploaded(api, jpeg(1080, 1080, fmt="PNG"))
    media = db.get(Media, __import__("uuid").UUID(body["id"]))
    db.commit()  # a worker converts on its own connection, outside any open request
    data, content_type = renditions.rendition(sessions, media, "instagram")
    assert content_type == "image/jpeg"
    db.expire_all()
    shown = api.get(f"/media/{body['id']}").get_json()
    assert shown["renditions"]["instagram"]["status"] == "ready"
    media = db.get(Media, __import__("uuid").UUID(body["id"]))
    db.commit()
    files_before = {p for p in local_storage.root.rglob("*") if p.is_file()}
    again, _ = renditions.rendition(sessions, media, "instagram")
    assert again == data
    assert {p for p in local_storage.root.rglob("*") if p.is_file()} == files_before


def test_a_refusal_is_recorded_with_its_reason(api, db, sessions, local_storage):
    body = uploaded(api, video(seconds=150, fps=1, size=(64, 48)), "long.mp4")
    media = db.get(Media, __import__("uuid").UUID(body["id"]))
    db.commit()
    with pytest.raises(convert.MediaUnfit):
        renditions.rendition(sessions, media, "x")
    db.expire_all()
    shown = api.get(f"/media/{body['id']}").get_json()["renditions"]["x"]
    assert shown["status"] == "failed" and "at most 140 s" in shown["error"]
