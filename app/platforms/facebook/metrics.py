"""Facebook Page figures: GET /{page-post-id}/insights with the Page token
(https://developers.facebook.com/docs/graph-api/reference/insights, "Page Post Metrics"; the
token must be a Page token of someone who may ANALYZE the Page, with read_insights and
pages_read_engagement). Since the impressions metrics were retired (same page: "a number of the
Page Insights metrics will be deprecated", November 15, 2025), views come from post_media_view
and reach from post_total_media_view_unique; reactions from post_reactions_by_type_total
(a map of reaction type to count, summed here) and clicks from post_clicks.

`insights()` is the Graph insights call the three Meta collectors share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import httpx

from app.analytics.collectors import NEEDS_SCOPE, Snapshot, Target
from app.ops.ratelimit import Limit
from app.platforms import graph
from app.platforms.base import PublishJob
from app.platforms.http import json_or_empty, send

METRICS = {"post_media_view": "views", "post_total_media_view_unique": "reach",
           "post_reactions_by_type_total": "reactions", "post_clicks": "clicks"}
# Graph's permission errors: (#10) "Application does not have permission for this action",
# (#200) "Requires ... permission" (https://developers.facebook.com/docs/graph-api/guides/
# error-handling, "Error Codes": 10 and 200-299 are permission errors).
PERMISSION = {10, *range(200, 300)}


def insights(client: httpx.Client, platform: str, url: str, token: str, target: Target,
             metrics: dict[str, str], error_of: Callable[[httpx.Response], Exception]
             ) -> Snapshot:
    """One media's insights: the figures Graph returned (a metric it leaves out, as it does
    for data it does not have, stays absent), or deleted / needs_scope."""
    response = send(client, "GET", f"{url}/{target.provider_post_id}/insights",
                    platform=platform, post_id=target.post_id,
                    params={"metric": ",".join(metrics), "access_token": token})
    if response.status_code != 200:
        error = json_or_empty(response).get("error") or {}
        if error.get("code") in PERMISSION:
            return Snapshot("needs_scope", {}, NEEDS_SCOPE)
        if error.get("code") == 100 and "does not exist" in str(error.get("message")):
            return Snapshot("deleted", {}, f"{platform}: the post is gone")
        raise error_of(response)
    figures: dict[str, int] = {}
    for item in response.json().get("data") or []:
        name = metrics.get(item.get("name"))
        value = (item.get("total_value") or {}).get("value")
        if value is None and item.get("values"):
            value = item["values"][0].get("value")
        if isinstance(value, dict):
            value = sum(v for v in value.values() if isinstance(v, int))
        if name and isinstance(value, int):
            figures[name] = value
    return Snapshot("ok", figures) if figures else Snapshot(
        "not_available", {}, f"{platform} gave no figures for this post")


class GraphCollector:
    """What the three Meta collectors share: one insights call per post with the channel's
    token; each names its host, its metrics and its error classification."""

    platform: ClassVar[str]
    batch: ClassVar[int] = 50
    per_post: ClassVar[bool] = True  # one insights call a media

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def url(self, channel: PublishJob) -> str:
        raise NotImplementedError

    def metrics_for(self, target: Target) -> dict[str, str]:
        raise NotImplementedError

    def error(self, response: httpx.Response) -> Exception:
        return graph.error_of(response, self.platform)

    def collect(self, channel: PublishJob, targets: list[Target]) -> dict[str, Snapshot]:
        url, token = self.url(channel), channel.credentials["access_token"]
        return {t.post_id: insights(self.client, self.platform, url, token, t,
                                    self.metrics_for(t), self.error) for t in targets}


class MetricsCollector(GraphCollector):
    platform: ClassVar[str] = "facebook"
    figures: ClassVar[tuple[str, ...]] = ("views", "reach", "reactions", "clicks")
    # Page tokens: Business Use Case limits of 4,800 calls x engaged users per 24 h
    # (https://developers.facebook.com/docs/graph-api/overview/rate-limiting, "Pages"); a
    # small Page's floor is far lower, so metrics keep to 180 calls an hour per Page.
    rate: ClassVar[Limit] = Limit(180, 3600)

    def url(self, channel: PublishJob) -> str:
        from app.platforms.facebook.publisher import api_url

        return f"{api_url()}/{graph.VERSION}"

    def metrics_for(self, target: Target) -> dict[str, str]:
        return METRICS
