"""Decoding is bounded: images over the pixel limit and videos over the frame-size or duration
limit are refused from their headers with a 422 naming the limit, and nothing is stored."""

import io

import pytest
import sqlalchemy as sa

from app.media.models import Media
from tests.media.conftest import flat_png, jpeg, video


def upload(api, data, name):
    return api.post("/media", data={"file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data")


def nothing_stored(db, local_storage):
    files = [p for p in local_storage.root.rglob("*") if p.is_file()]
    return db.scalar(sa.select(sa.func.count()).select_from(Media)) == 0 and not files


@pytest.mark.parametrize("side", [13000, 30000])
def test_an_image_bomb_is_refused_naming_the_limit(api, db, local_storage, side):
    bomb = flat_png(side, side)
    assert len(bomb) < 200_000  # small on disk, hundreds of megabytes decoded
    answer = upload(api, bomb, "bomb.png")
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error" and error["field"] == "file"
    assert f"{side}×{side} pixels" in error["message"]
    assert "up to 50 megapixels" in error["message"]
    assert nothing_stored(db, local_storage)


def test_the_pixel_limit_is_configurable(api, db, local_storage, monkeypatch):
    monkeypatch.setenv("OPENPOST_MAX_IMAGE_PIXELS", "100000")
    answer = upload(api, jpeg(400, 300), "a.jpg")
    assert answer.status_code == 422 and "up to 0.1 megapixels" in answer.get_json()["error"][
        "message"]
    assert upload(api, jpeg(300, 300), "b.jpg").status_code == 201


def test_an_animation_with_too_many_frames_is_refused(api, db, local_storage):
    from PIL import Image

    frames = [Image.new("RGB", (8, 8), (i % 256, i // 256 * 60, 0)) for i in range(1001)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=20)
    answer = upload(api, buf.getvalue(), "long.gif")
    assert answer.status_code == 422
    assert "1001 frames" in answer.get_json()["error"]["message"]
    assert nothing_stored(db, local_storage)


@pytest.mark.parametrize("clip,message", [
    (lambda: video(seconds=3601, fps=1, size=(16, 16)),
     "the video is 3601 s long; OpenPost takes videos up to 3600 s (60 minutes)"),
    (lambda: video(seconds=0.2, fps=25, size=(4112, 16)),
     "the video is 4112×16 pixels; OpenPost takes videos up to 4096 pixels on a side"),
])
def test_a_video_over_the_limits_is_refused_before_decoding(api, db, local_storage, clip,
                                                            message):
    answer = upload(api, clip(), "clip.mp4")
    assert answer.status_code == 422
    assert answer.get_json()["error"]["message"] == message
    assert nothing_stored(db, local_storage)


def test_a_video_at_the_limits_is_taken(api, local_storage):
    assert upload(api, video(seconds=0.2, fps=25, size=(4096, 16)), "wide.mp4").status_code == 201


def test_a_stored_image_over_a_lowered_limit_is_refused_when_converted(monkeypatch):
    from app.media import convert, specs

    monkeypatch.setenv("OPENPOST_MAX_IMAGE_PIXELS", "100000")
    with pytest.raises(convert.MediaUnfit, match="400×300 pixels .*up to 0.1 megapixels"):
        convert.image_for(jpeg(400, 300), specs.IMAGES["facebook"], "facebook")
