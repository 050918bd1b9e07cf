"""The composer's media picker: upload with alt text, choose files, post them, edit alt text."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from app.media.models import Media
from app.posts.models import Post
from tests.media.conftest import jpeg


def _upload(signed_in, channel, data, name="photo.jpg", alt="A red square"):
    return signed_in.post("/compose/media", {"channel_id": str(channel.id), "part": "look",
                                             "new_alt_text": alt,
                                             "file": (io.BytesIO(data), name)})


def test_an_uploaded_file_comes_back_chosen_with_its_alt_text(signed_in, make_channel, db,
                                                             local_storage):
    channel = make_channel(signed_in.workspace_id)
    answer = _upload(signed_in, channel, jpeg())
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    media = db.scalars(sa.select(Media).where(Media.workspace_id == signed_in.workspace_id)).one()
    assert re.search(rf'id="media-{media.id}"[^>]*value="{media.id}"\s+checked', html)
    assert f'name="alt-{media.id}" value="A red square"' in html
    assert 'id="part-text-0" name="part"' in html and ">look</textarea>" in html  # kept


def test_a_damaged_file_is_refused_beside_the_upload_field(signed_in, make_channel, db,
                                                          local_storage):
    channel = make_channel(signed_in.workspace_id)
    answer = _upload(signed_in, channel, b"not an image at all" * 20)
    assert answer.status_code == 422
    assert re.search(r'<p id="file-error" class="field-error"[^>]*>unsupported file type',
                     answer.get_data(as_text=True))
    assert db.scalar(sa.select(sa.func.count()).select_from(Media)) == 0


def test_chosen_media_go_out_with_the_post_and_alt_text_edits_are_saved(
        signed_in, make_channel, db, local_storage):
    channel = make_channel(signed_in.workspace_id)
    _upload(signed_in, channel, jpeg())
    media = db.scalars(sa.select(Media)).one()
    answer = signed_in.post("/compose", {"channel_id": str(channel.id), "part": "with a photo",
                                         "media_id": str(media.id),
                                         f"alt-{media.id}": "A red square on white",
                                         "action": "draft"}, htmx=False)
    assert answer.status_code == 302
    db.expire_all()
    post = db.scalars(sa.select(Post).where(Post.workspace_id == signed_in.workspace_id)).one()
    assert post.media_ids == [str(media.id)]
    assert db.get(Media, media.id).alt_text == "A red square on white"


def test_another_workspaces_file_cannot_be_attached(signed_in, make_channel, make_user, db,
                                                   local_storage):
    from app.media.service import upload

    channel = make_channel(signed_in.workspace_id)
    other = make_user().memberships[0].workspace_id
    theirs = upload(db, other, "test", "theirs.jpg", jpeg(), alt_text="theirs")
    answer = signed_in.post("/compose", {"channel_id": str(channel.id), "part": "mine",
                                         "media_id": str(theirs.id), f"alt-{theirs.id}": "x",
                                         "action": "draft"}, htmx=False)
    assert answer.status_code == 422
    assert "no such media in this workspace" in answer.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Post).where(
        Post.workspace_id == signed_in.workspace_id)) == 0
    assert db.get(Media, theirs.id).alt_text == "theirs"


def test_an_image_bomb_is_refused_beside_the_upload_field(signed_in, make_channel, db,
                                                         local_storage):
    from tests.media.conftest import flat_png

    channel = make_channel(signed_in.workspace_id)
    answer = _upload(signed_in, channel, flat_png(30000, 30000), name="bomb.png")
    assert answer.status_code == 422
    assert re.search(r'<p id="file-error" class="field-error"[^>]*>the image is 30000×30000 '
                     r'pixels \(900.0 megapixels\); OpenPost takes images up to 50 megapixels',
                     answer.get_data(as_text=True))
    assert db.scalar(sa.select(sa.func.count()).select_from(Media)) == 0


def test_a_video_over_the_duration_limit_is_refused_beside_the_upload_field(
        signed_in, make_channel, db, local_storage):
    from tests.media.conftest import video

    channel = make_channel(signed_in.workspace_id)
    answer = _upload(signed_in, channel, video(seconds=3601, fps=1, size=(16, 16)),
                     name="long.mp4")
    assert answer.status_code == 422
    assert re.search(r'<p id="file-error" class="field-error"[^>]*>the video is 3601 s long; '
                     r'OpenPost takes videos up to 3600 s \(60 minutes\)',
                     answer.get_data(as_text=True))
    assert db.scalar(sa.select(sa.func.count()).select_from(Media)) == 0
