"""Mastodon figures: GET /api/v1/statuses/:id, one status a call
(https://docs.joinmastodon.org/methods/statuses/#get; the counts are the Status entity's
favourites_count, reblogs_count, replies_count and, since 4.5, quotes_count:
https://docs.joinmastodon.org/entities/Status/). Mastodon gives no impressions.
"""

from __future__ import annotations

from typing import ClassVar

import httpx

from app.analytics.collectors import NEEDS_SCOPE, Snapshot, Target
from app.ops.ratelimit import Limit
from app.platforms.base import PublishJob
from app.platforms.http import check, send
from app.platforms.mastodon.publisher import OUTSIDE_SCOPES, message_of


class MetricsCollector:
    platform: ClassVar[str] = "mastodon"
    figures: ClassVar[tuple[str, ...]] = ("likes", "reposts", "replies", "quotes")
    batch: ClassVar[int] = 40
    per_post: ClassVar[bool] = True  # one GET a status
    # 300 calls per 5 minutes per account (https://docs.joinmastodon.org/api/rate-limits/,
    # Limits per account): metrics take 150, half, leaving the rest to publishing.
    rate: ClassVar[Limit] = Limit(150, 300)

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def collect(self, channel: PublishJob, targets: list[Target]) -> dict[str, Snapshot]:
        base = channel.settings["instance_url"].rstrip("/")
        headers = {"Authorization": f"Bearer {channel.credentials['access_token']}"}
        found: dict[str, Snapshot] = {}
        for target in targets:
            response = send(self.client, "GET", f"{base}/api/v1/statuses/{target.provider_post_id}",
                            platform="mastodon", post_id=target.post_id, headers=headers)
            if response.status_code in (404, 410):
                found[target.post_id] = Snapshot("deleted", {}, f"mastodon: {message_of(response)}")
                continue
            if response.status_code == 403 and OUTSIDE_SCOPES in message_of(response):
                found[target.post_id] = Snapshot("needs_scope", {}, NEEDS_SCOPE)
                continue
            status = check(response, "mastodon", message_of, ok=(200,)).json()
            found[target.post_id] = Snapshot.of(
                likes=status.get("favourites_count"), reposts=status.get("reblogs_count"),
                replies=status.get("replies_count"), quotes=status.get("quotes_count"))
        return found
