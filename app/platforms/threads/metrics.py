"""Threads figures: GET /v1.0/{threads-media-id}/insights with metric=views,likes,replies,
reposts,quotes,shares (https://developers.facebook.com/docs/threads/insights, "Media
Insights"; permissions threads_basic and threads_manage_insights).
"""

from __future__ import annotations

from typing import ClassVar

import httpx

from app.analytics.collectors import Target
from app.ops.ratelimit import Limit
from app.platforms.base import PublishJob
from app.platforms.facebook.metrics import GraphCollector
from app.platforms.threads.publisher import VERSION, api_url, graph_error

METRICS = {m: m for m in ("views", "likes", "replies", "reposts", "quotes", "shares")}


class MetricsCollector(GraphCollector):
    platform: ClassVar[str] = "threads"
    figures: ClassVar[tuple[str, ...]] = ("views", "likes", "replies", "reposts", "quotes",
                                          "shares")
    # Threads: 4,800 calls x impressions per 24 h per user (https://developers.facebook.com/
    # docs/threads/troubleshooting#rate-limits); metrics take 200 an hour.
    rate: ClassVar[Limit] = Limit(200, 3600)

    def url(self, channel: PublishJob) -> str:
        return f"{api_url()}/{VERSION}"

    def metrics_for(self, target: Target) -> dict[str, str]:
        return METRICS

    def error(self, response: httpx.Response) -> Exception:
        return graph_error(response)
