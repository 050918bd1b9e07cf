"""Bluesky video limits as the current lexicons give them: the embed takes blobs up to 300 MB
(formerly 100 MB), and the daily quota counts bytes as well as videos."""

from __future__ import annotations

import json

from app.media.specs import VIDEOS
from app.platforms.bluesky import fake_video as bluesky_video
from tests.media.conftest import video
from tests.sandbox.specs import require
from tests.sandbox.test_bluesky_video_fake import service_token


def test_video_size_limit_is_the_embed_lexicons():
    assert VIDEOS["bluesky"].max_bytes == bluesky_video.MAX_BYTES == 300_000_000
    lexicon = json.loads(require("bluesky-lexicons/app/bsky/embed/video.json").read_text())
    max_size = lexicon["defs"]["main"]["properties"]["video"]["maxSize"]
    assert max_size == 300_000_000


def test_a_video_over_the_remaining_daily_bytes_is_refused(platforms):
    p = platforms("bluesky")
    p.pds, p.service = (f"{p.sandbox.url}/bluesky/xrpc", f"{p.sandbox.url}/bluesky-video/xrpc")
    clip = video(seconds=0.5)
    answer = p.http.post(f"{p.sandbox.url}/_control/settings",
                         json={"platform": "bluesky", "video_daily_bytes": len(clip) - 1})
    assert answer.status_code == 200
    token = service_token(p, "com.atproto.repo.uploadBlob").json()["token"]
    refused = p.http.post(f"{p.service}/app.bsky.video.uploadVideo",
                          params={"did": p.account["did"], "name": "v.mp4"}, content=clip,
                          headers={"Authorization": f"Bearer {token}",
                                   "Content-Type": "video/mp4"})
    assert refused.status_code == 400 and refused.json()["error"] == "InvalidRequest"
    assert p.sandbox.state.bucket("bluesky", "video_jobs") == {}
