"""X figures: GET /2/tweets?ids=…&tweet.fields=public_metrics, 100 ids a call
(https://docs.x.com/x-api/posts/get-posts-by-ids: ids at most 100; public_metrics holds
retweet/repost, reply, like, quote, bookmark and impression counts,
https://docs.x.com/x-api/fundamentals/metrics#public-metrics). A post that no longer exists
comes back in `errors` as a resource-not-found problem with its id.
"""

from __future__ import annotations

from typing import ClassVar

import httpx

from app.analytics.collectors import NEEDS_SCOPE, Snapshot, Target, every
from app.ops.ratelimit import Limit
from app.platforms.base import PublishJob
from app.platforms.http import check
from app.platforms.x.publisher import XPublisher, api_url, message_of

NOT_FOUND = "https://api.x.com/2/problems/resource-not-found"


class MetricsCollector:
    platform: ClassVar[str] = "x"
    figures: ClassVar[tuple[str, ...]] = ("impressions", "likes", "reposts", "replies", "quotes", "bookmarks")
    batch: ClassVar[int] = 100
    # GET /2/tweets: 5,000 per 15 min per user, 3,500 per 15 min per app
    # (https://docs.x.com/x-api/fundamentals/rate-limits, "Tweets lookup"). Which one counts
    # depends on the token (same page, "How rate limits work": per-user limits apply with
    # OAuth 1.0a or OAuth 2.0 user tokens, per-app limits with an app-only Bearer Token).
    # OpenPost reads with each channel's OAuth 2.0 user token, so only the per-user limit
    # applies and there is no per-app rate budget to share. A channel takes at most 12 per
    # 15 min, whatever the user's tier. What X counts per app is billing: every post returned
    # is a Post read, charged per post and deduplicated per UTC day, and pay-per-usage plans are
    # capped at 2 million Post reads a month (https://docs.x.com/x-api/fundamentals/post-cap,
    # "How billing works", "Deduplication"); docs/analytics.md shows the arithmetic.
    rate: ClassVar[Limit] = Limit(12, 900)

    def __init__(self, client: httpx.Client) -> None:
        self.publisher = XPublisher(client)

    def collect(self, channel: PublishJob, targets: list[Target]) -> dict[str, Snapshot]:
        ids = ",".join(t.provider_post_id for t in targets)
        response = self.publisher._authed(channel, "GET", f"{api_url()}/2/tweets",
                                          params={"ids": ids, "tweet.fields": "public_metrics"})
        if response.status_code == 403 and "scope" in message_of(response).lower():
            return every(targets, "needs_scope", NEEDS_SCOPE)
        body = check(response, "x", message_of, ok=(200,)).json()
        data = {d.get("id"): d for d in body.get("data") or []}
        gone = {e.get("resource_id") or e.get("value") for e in body.get("errors") or []
                if e.get("type", "").endswith("/resource-not-found")}
        found: dict[str, Snapshot] = {}
        for target in targets:
            tweet = data.get(target.provider_post_id)
            if tweet is None:
                status = "deleted" if target.provider_post_id in gone else "not_available"
                found[target.post_id] = Snapshot(status, {}, f"x: {status.replace('_', ' ')}")
                continue
            m = tweet.get("public_metrics") or {}
            found[target.post_id] = Snapshot.of(
                impressions=m.get("impression_count"), likes=m.get("like_count"),
                reposts=m.get("repost_count", m.get("retweet_count")),
                replies=m.get("reply_count"), quotes=m.get("quote_count"),
                bookmarks=m.get("bookmark_count"))
        return found
