"""From a stored post to the parts a publisher receives: the schedule-time check and the
publishing engine build them with one function, so both see the same post."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from PIL import Image

from app.channels.compose import post_parts
from app.media.service import upload
from app.posts import service
from app.posts.lifecycle import claim_due
from app.posts.models import Post
from jobs.claims import Claim, load_media


def _image(db, ws, alt):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    return upload(db, ws, "test", f"{alt}.png", buffer.getvalue(), alt_text=alt)


def test_the_engine_publishes_the_parts_the_schedule_check_saw(db, workspace, make_channel):
    ws = workspace[0]
    channel = make_channel(ws, "bluesky", pds_url="https://pds.example")
    head, dots = _image(db, ws, "head"), _image(db, ws, "dots")
    post = service.create_post(db, ws, "test", channel_id=channel.id,
                               parts=[{"text": "one", "media_ids": [str(dots.id)]},
                                      {"text": "two"}], media_ids=[str(head.id)],
                               schedule_at=datetime.now(UTC) + timedelta(hours=1))
    checked = post_parts(db, post)
    assert [p.text for p in checked] == ["one", "two"]
    assert [m["alt_text"] for m in checked[0].media] == ["head", "dots"]
    assert checked[1].media == []

    db.execute(sa.update(Post).where(Post.id == post.id)
               .values(schedule_at=sa.func.now() - timedelta(seconds=1)))  # due by the database clock
    rows = [r for r in claim_due(db, "w1", 10, 30) if r.id == post.id]
    claimed = Claim.from_row(rows[0], load_media(db, rows))
    assert claimed.parts == checked
