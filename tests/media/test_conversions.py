"""Conversions start when media are attached to a post, run in the workers' outbox duty, and
survive a converter that dies: the job comes back, the next converter starts over."""

from __future__ import annotations

import io
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.media import conversions, renditions
from app.media.models import Media
from app.outbox.models import OutboxMessage
from tests.media.conftest import video

TIKTOK = {"privacy_level_options": ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]}


@pytest.fixture
def sessions(db):
    connection = db.get_bind()
    return lambda: Session(bind=connection, join_transaction_mode="create_savepoint")


def upload(api, data, name="clip.mp4") -> str:
    return api.post("/media", data={"file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data").get_json()["id"]


def draft(api, channel, media_id, **options):
    answer = api.post("/posts", json={"channel_id": str(channel.id), "text": "watch this",
                                      "media_ids": [media_id], "options": options})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def shown(api, media_id, platform):
    return api.get(f"/media/{media_id}").get_json()["renditions"].get(platform)


def jobs(db, media_id):
    db.expire_all()
    return list(db.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.kind == "conversion",
        OutboxMessage.payload["media_id"].astext == media_id)))


def expire(db, media_id, platform):
    """What time does to a converter that died: its lease runs out, its job comes due."""
    db.execute(sa.text("UPDATE media SET renditions = jsonb_set(renditions, :path, "
                       "to_jsonb(extract(epoch from now()) - 1)) WHERE id = :id"),
               {"path": [platform, "lease_until"], "id": uuid.UUID(media_id)})
    db.execute(sa.update(OutboxMessage).where(
        OutboxMessage.payload["media_id"].astext == media_id)
        .values(next_attempt_at=sa.func.now() - sa.text("interval '1 second'")))
    db.commit()


def test_attaching_a_video_queues_its_conversion_and_the_worker_makes_it_ready(
        api, make_channel, db, local_storage):
    channel = make_channel(api.workspace_id, platform="tiktok", **TIKTOK)
    clip = upload(api, video(seconds=1.2, codec="mpeg4"))  # not H.264: must be transcoded
    draft(api, channel, clip)
    assert shown(api, clip, "tiktok") == {"status": "queued", "progress": None, "error": None}
    assert len(jobs(db, clip)) == 1
    draft(api, channel, clip)  # attached again: nothing new to do
    assert len(jobs(db, clip)) == 1

    assert conversions.run_due() == 1
    db.expire_all()
    assert shown(api, clip, "tiktok")["status"] == "ready"
    assert jobs(db, clip)[0].processed_at is not None
    stored = db.get(Media, uuid.UUID(clip)).renditions["tiktok"]
    assert local_storage.get(str(api.workspace_id),
                             stored["key"])[4:8] == b"ftyp"


def test_the_publisher_takes_the_ready_rendition_without_converting_again(
        api, make_channel, db, sessions, local_storage):
    channel = make_channel(api.workspace_id, platform="tiktok", **TIKTOK)
    clip = upload(api, video(seconds=1.2, codec="mpeg4"))
    draft(api, channel, clip)
    conversions.run_due()
    files = {p: p.stat().st_mtime_ns for p in local_storage.root.rglob("*") if p.is_file()}
    media = db.get(Media, uuid.UUID(clip))
    data, content_type = renditions.rendition(sessions, media, "tiktok")
    assert content_type == "video/mp4" and len(data) == media.renditions["tiktok"]["size"]
    assert {p: p.stat().st_mtime_ns for p in local_storage.root.rglob("*") if p.is_file()} \
        == files


def test_a_video_no_conversion_can_fix_is_refused_at_once_with_the_reason(
        api, make_channel, db, local_storage):
    channel = make_channel(api.workspace_id, platform="x")
    clip = upload(api, video(seconds=150, fps=1, size=(64, 48)), "long.mp4")
    draft(api, channel, clip)
    refused = shown(api, clip, "x")
    assert refused["status"] == "failed"
    assert refused["error"] == "the video is 150 s long; x takes at most 140 s"
    assert jobs(db, clip) == []  # nothing for a worker to try


def test_a_conversion_left_behind_by_a_dead_worker_is_done_again(
        api, make_channel, db, sessions, local_storage):
    channel = make_channel(api.workspace_id, platform="tiktok", **TIKTOK)
    clip = upload(api, video(seconds=1.2, codec="mpeg4"))
    draft(api, channel, clip)
    # A worker takes the job and starts converting, then dies (nothing after the claim).
    job = conversions._claim(db, None)
    token = renditions.claim(sessions, uuid.UUID(clip), "tiktok")
    assert token and renditions.report(sessions, uuid.UUID(clip), "tiktok", token, 0.4)
    db.commit()
    assert conversions.run_due() == 0  # its lease still runs: nobody steps in
    assert shown(api, clip, "tiktok")["progress"] == 40
    [(_, [row])] = conversions.board(db, api.workspace_id, [clip], [channel])
    assert row.status == "processing" and row.live

    expire(db, clip, "tiktok")
    db.expire_all()
    [(_, [row])] = conversions.board(db, api.workspace_id, [clip], [channel])
    assert row.status == "stalled" and row.live  # shown as interrupted, not stuck
    assert conversions.run_due() == 1
    assert shown(api, clip, "tiktok")["status"] == "ready"
    [done] = jobs(db, clip)
    assert done.id == job[0] and done.attempts == 2 and done.processed_at is not None
    # The dead converter's late reports change nothing.
    assert not renditions.report(sessions, uuid.UUID(clip), "tiktok", token, 0.9)


def test_a_job_waits_for_another_converter_instead_of_doing_the_work_twice(
        api, make_channel, db, sessions, local_storage):
    channel = make_channel(api.workspace_id, platform="tiktok", **TIKTOK)
    clip = upload(api, video(seconds=1.2, codec="mpeg4"))
    draft(api, channel, clip)
    assert renditions.claim(sessions, uuid.UUID(clip), "tiktok")  # the publisher, say
    assert conversions.run_due() == 1
    [job] = jobs(db, clip)
    assert job.processed_at is None and job.attempts == 0  # waiting is not an attempt
    assert shown(api, clip, "tiktok")["status"] == "processing"


def test_a_job_that_keeps_dying_stops_with_a_reason(api, make_channel, db, local_storage):
    channel = make_channel(api.workspace_id, platform="tiktok", **TIKTOK)
    clip = upload(api, video(seconds=1.2, codec="mpeg4"))
    draft(api, channel, clip)
    db.execute(sa.update(OutboxMessage).where(OutboxMessage.kind == "conversion")
               .values(attempts=conversions.MAX_ATTEMPTS))
    db.commit()
    conversions.run_due()
    refused = shown(api, clip, "tiktok")
    assert refused["status"] == "failed"
    assert refused["error"].startswith("the conversion was interrupted 5 times")
