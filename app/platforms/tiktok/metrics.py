"""TikTok figures: POST /v2/video/query/?fields=id,view_count,like_count,comment_count,
share_count with {"filters": {"video_ids": [...]}}, at most 20 ids a call
(https://developers.tiktok.com/doc/tiktok-api-v2-video-query; scope video.list). A video the
user no longer has is left out of `videos`.
"""

from __future__ import annotations

from typing import ClassVar

import httpx

from app.analytics.collectors import NEEDS_SCOPE, Snapshot, Target, every
from app.ops.ratelimit import Limit
from app.platforms.base import PublishJob
from app.platforms.http import json_or_empty, send
from app.platforms.tiktok.publisher import api_url, error_of

FIELDS = "id,view_count,like_count,comment_count,share_count"


class MetricsCollector:
    platform: ClassVar[str] = "tiktok"
    figures: ClassVar[tuple[str, ...]] = ("views", "likes", "comments", "shares")
    batch: ClassVar[int] = 20
    # /v2/video/query/: 600 requests per minute, each endpoint limited apart, counted over a
    # one-minute sliding window; an application that needs more asks TikTok
    # (https://developers.tiktok.com/doc/tiktok-api-v2-rate-limit, "Rate Limits on API
    # Requests"), so it is the app's limit, shared by all its users. A channel takes at most 60
    # a minute for metrics, and all channels of the deployment together at most 300 per fixed
    # minute: two fixed minutes meet inside any sliding minute, so at most 600 there.
    rate: ClassVar[Limit] = Limit(60, 60)
    app_rate: ClassVar[Limit] = Limit(300, 60)

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def collect(self, channel: PublishJob, targets: list[Target]) -> dict[str, Snapshot]:
        response = send(self.client, "POST", f"{api_url()}/v2/video/query/", platform="tiktok",
                        params={"fields": FIELDS},
                        headers={"Authorization": f"Bearer {channel.credentials['access_token']}"},
                        json={"filters": {"video_ids": [t.provider_post_id for t in targets]}})
        error = json_or_empty(response).get("error") or {}
        if error.get("code") == "scope_not_authorized":
            return every(targets, "needs_scope", NEEDS_SCOPE)
        if response.status_code != 200 or error.get("code") not in (None, "ok"):
            raise error_of(response)
        videos = {v.get("id"): v for v in (response.json().get("data") or {}).get("videos") or []}
        found: dict[str, Snapshot] = {}
        for target in targets:
            video = videos.get(target.provider_post_id)
            found[target.post_id] = Snapshot("deleted", {}, "tiktok: the video is gone") \
                if video is None else Snapshot.of(
                    views=video.get("view_count"), likes=video.get("like_count"),
                    comments=video.get("comment_count"), shares=video.get("share_count"))
        return found
