"""From a stored post to the job a publisher receives."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from PIL import Image

from app.channels.compose import job_for
from app.media.service import upload
from app.posts import service


def test_job_carries_media_progress_and_a_stable_key(db, workspace, make_channel):
    ws = workspace[0]
    channel = make_channel(ws, "bluesky", pds_url="https://pds.example")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    media = upload(db, ws, "test", "p.png", buffer.getvalue(), alt_text="dots")
    post = service.create_post(db, ws, "test", channel_id=channel.id,
                               parts=[{"text": "one", "media_ids": [str(media.id)]},
                                      {"text": "two"}],
                               schedule_at=datetime.now(UTC) + timedelta(hours=1))
    post.results = [{"index": 0, "provider_post_id": "at://did/app.bsky.feed.post/3k",
                     "live_url": "https://bsky.app/x", "extra": {"uri": "u", "cid": "c"}}]
    job = job_for(db, post, channel, save_part=lambda r: None, save_credentials=lambda c: None)
    assert [p.text for p in job.parts] == ["one", "two"]
    assert job.parts[0].media[0]["alt_text"] == "dots" and job.parts[1].media == []
    assert [r.index for r in job.done] == [0] and job.done[0].extra["cid"] == "c"
    assert job.idempotency_key == str(post.id) and job.schedule_at == post.schedule_at
    assert job.credentials == {"access_token": "secret-token"}
