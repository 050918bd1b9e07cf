"""The composer shows each chosen file's conversion for each chosen channel, polling while one
is on its way and stopping once all are done; a refusal shows beside its channel."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from app.media import conversions, renditions
from app.media.models import Media
from app.posts.models import Post
from tests.media.conftest import jpeg, video


def _upload(signed_in, channel, data, name):
    signed_in.post("/compose/media", {"channel_id": str(channel.id), "part": "look",
                                      "file": (io.BytesIO(data), name)})


def _media(db, name) -> Media:
    return db.scalars(sa.select(Media).where(Media.filename == name)).one()


def _block(html: str, channel) -> str:
    found = re.search(rf'<div class="conversion-channel" id="conversion-{channel.id}">.*?</div>',
                      html, re.S)
    assert found, f"no conversion block for {channel.platform}"
    return " ".join(found.group(0).split())


def _section(html: str) -> str:
    return re.search(r'<section id="conversions".*?>', html, re.S).group(0)


def test_choosing_a_video_queues_it_and_the_poll_stops_once_it_is_ready(
        signed_in, make_channel, db, local_storage):
    facebook = make_channel(signed_in.workspace_id, platform="facebook", page_id="1")
    masto = make_channel(signed_in.workspace_id)
    clip = video(seconds=1.2, codec="mpeg4")
    _upload(signed_in, facebook, clip, "clip.mp4")
    media = _media(db, "clip.mp4")
    form = {"channel_id": [str(facebook.id), str(masto.id)], "part": "look",
            "media_id": str(media.id)}
    html = signed_in.post("/compose/choices", form).get_data(as_text=True)
    assert 'id="channel-options"' in html and 'hx-swap-oob="true"' in _section(html)
    assert "clip.mp4: queued for conversion" in _block(html, facebook)
    assert "clip.mp4: queued for conversion" in _block(html, masto)
    poll = re.search(r'hx-get="([^"]+)"', _section(html)).group(1).replace("&amp;", "&")
    assert 'hx-trigger="every 2s"' in _section(html)

    assert conversions.run_due() == 2  # the workers' outbox duty
    done = signed_in.get(poll, htmx=True).get_data(as_text=True)
    assert "clip.mp4: ready" in _block(done, facebook) and "clip.mp4: ready" in _block(done, masto)
    assert "hx-trigger" not in _section(done), "nothing left to wait for: polling stops"


def test_progress_and_an_interrupted_conversion_are_shown(signed_in, make_channel, db,
                                                          local_storage):
    facebook = make_channel(signed_in.workspace_id, platform="facebook", page_id="1")
    _upload(signed_in, facebook, video(seconds=1.2, codec="mpeg4"), "clip.mp4")
    media = _media(db, "clip.mp4")
    signed_in.post("/compose/choices", {"channel_id": str(facebook.id),
                                        "media_id": str(media.id)})
    connection = db.get_bind()
    sessions = lambda: sa.orm.Session(bind=connection,  # noqa: E731
                                      join_transaction_mode="create_savepoint")
    token = renditions.claim(sessions, media.id, "facebook")  # a worker converts, 42% done
    renditions.report(sessions, media.id, "facebook", token, 0.42)
    query = f"/compose/conversions?channel_id={facebook.id}&media_id={media.id}"
    html = signed_in.get(query, htmx=True).get_data(as_text=True)
    assert "clip.mp4: converting 42%" in _block(html, facebook)
    assert '<progress max="100" value="42">' in html and "every 2s" in _section(html)
    with sessions() as sess:  # its converter died: the lease runs out
        sess.execute(sa.text("UPDATE media SET renditions = jsonb_set(renditions, "
                             "'{facebook,lease_until}', '0') WHERE id = :id"), {"id": media.id})
        sess.commit()
    html = signed_in.get(query, htmx=True).get_data(as_text=True)
    assert "converting (interrupted: starting again) 42%" in _block(html, facebook)
    assert "every 2s" in _section(html)


def test_a_refused_video_shows_beside_its_channel_and_cannot_be_scheduled(
        signed_in, make_channel, db, local_storage):
    x = make_channel(signed_in.workspace_id, platform="x")
    masto = make_channel(signed_in.workspace_id)
    _upload(signed_in, x, video(seconds=150, fps=1, size=(64, 48)), "long.mp4")
    media = _media(db, "long.mp4")
    form = {"channel_id": [str(x.id), str(masto.id)], "part": "watch", "media_id": str(media.id)}
    html = signed_in.post("/compose/choices", form).get_data(as_text=True)
    assert "long.mp4: refused: the video is 150 s long; x takes at most 140 s" in _block(html, x)
    assert "refused" not in _block(html, masto)

    answer = signed_in.post("/compose", {**form, "action": "schedule",
                                         "schedule_at": "2099-01-01T10:00",
                                         "timezone": "UTC"})
    assert answer.status_code == 422
    assert re.search(r'<p id="media_id-error" class="field-error" role="alert">x @\w+: the '
                     r'video is 150 s long; x takes at most 140 s</p>', answer.get_data(as_text=True))
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Post)) == 0, "none of the two"


def test_images_that_need_no_rendition_are_ready_as_they_are(signed_in, make_channel, db,
                                                             local_storage):
    masto = make_channel(signed_in.workspace_id)
    _upload(signed_in, masto, jpeg(), "photo.jpg")
    media = _media(db, "photo.jpg")
    html = signed_in.post("/compose/choices", {"channel_id": str(masto.id),
                                               "media_id": str(media.id)}).get_data(as_text=True)
    assert "photo.jpg: ready as it is" in _block(html, masto)
    assert "hx-trigger" not in _section(html)
    assert db.get(Media, media.id).renditions == {}


def test_uploading_in_the_composer_starts_the_conversions_of_the_chosen_channels(
        signed_in, make_channel, db, local_storage):
    x = make_channel(signed_in.workspace_id, platform="x")
    html = signed_in.post("/compose/media", {
        "channel_id": str(x.id), "part": "look",
        "file": (io.BytesIO(video(seconds=1.2)), "new.mp4")}).get_data(as_text=True)
    media = _media(db, "new.mp4")
    assert media.renditions["x"] == {"status": "queued"}
    assert "new.mp4: queued for conversion" in _block(html, x)


def test_another_workspaces_file_shows_nothing_and_starts_nothing(signed_in, make_channel,
                                                                  make_user, db, local_storage):
    from app.media.service import upload

    masto = make_channel(signed_in.workspace_id)
    other = make_user().memberships[0].workspace_id
    theirs = upload(db, other, "test", "theirs.mp4", video(seconds=1.2))
    html = signed_in.post("/compose/choices", {"channel_id": str(masto.id),
                                               "media_id": [str(theirs.id), "junk"]})
    assert html.status_code == 200 and "theirs.mp4" not in html.get_data(as_text=True)
    db.expire_all()
    assert db.get(Media, theirs.id).renditions == {}
