"""Instagram figures: GET /{ig-media-id}/insights
(https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights).
The metrics Meta still supports per media product type: FEED (images, carousels) and REELS
take reach, views, likes, comments, saved and shares; STORY takes reach, views, replies and
shares ("views" replaced impressions and plays, deprecated for all versions on April 21, 2025).
Permissions: instagram_business_basic and instagram_business_manage_insights (Instagram
Login), instagram_basic and instagram_manage_insights (Facebook Login). "If insights data you
are requesting does not exist or is currently unavailable, the API returns an empty data set
instead of 0": such a post is not available, never 0.
"""

from __future__ import annotations

from typing import ClassVar

from app.analytics.collectors import Target
from app.ops.ratelimit import Limit
from app.platforms import graph
from app.platforms.base import PublishJob
from app.platforms.facebook.metrics import GraphCollector
from app.platforms.instagram.publisher import api_url

FEED = {"reach": "reach", "views": "views", "likes": "likes", "comments": "comments",
        "saved": "saved", "shares": "shares"}
STORY = {"reach": "reach", "views": "views", "replies": "replies", "shares": "shares"}


class MetricsCollector(GraphCollector):
    platform: ClassVar[str] = "instagram"
    figures: ClassVar[tuple[str, ...]] = ("views", "reach", "likes", "comments", "saved",
                                          "shares")
    # Instagram Platform: 4,800 calls x impressions per 24 h per account, at least 200 calls
    # an hour (https://developers.facebook.com/docs/graph-api/overview/rate-limiting,
    # "Instagram Platform"); metrics take 180 an hour.
    rate: ClassVar[Limit] = Limit(180, 3600)

    def url(self, channel: PublishJob) -> str:
        return f"{api_url(channel.settings)}/{graph.VERSION}"

    def metrics_for(self, target: Target) -> dict[str, str]:
        return STORY if target.options.get("kind") == "story" else FEED
