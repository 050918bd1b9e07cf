"""Bluesky figures: app.bsky.feed.getPosts, 25 post URIs a call, through the account's PDS
(which proxies app.bsky.* to the AppView). Lexicon app.bsky.feed.getPosts: "uris" maxLength 25;
a post that no longer exists is left out of `posts`
(https://docs.bsky.app/docs/api/app-bsky-feed-get-posts). The counts are postView's likeCount,
repostCount, replyCount and quoteCount (lexicon app.bsky.feed.defs#postView). Bluesky gives
no impressions.
"""

from __future__ import annotations

from typing import ClassVar

import httpx

from app.analytics.collectors import Snapshot, Target
from app.ops.ratelimit import Limit
from app.platforms.base import PublishJob
from app.platforms.bluesky.publisher import BlueskyPublisher, message_of
from app.platforms.http import check


class MetricsCollector:
    platform: ClassVar[str] = "bluesky"
    figures: ClassVar[tuple[str, ...]] = ("likes", "reposts", "replies", "quotes", "bookmarks")
    batch: ClassVar[int] = 25
    # The PDS's general limit is 3,000 requests per 5 minutes per IP
    # (https://docs.bsky.app/docs/advanced-guides/rate-limits, "PDS: 3000 per 5 minutes");
    # metrics take 300 per channel, so ten busy channels on one worker stay within it.
    rate: ClassVar[Limit] = Limit(300, 300)

    def __init__(self, client: httpx.Client) -> None:
        self.publisher = BlueskyPublisher(client)

    def collect(self, channel: PublishJob, targets: list[Target]) -> dict[str, Snapshot]:
        uris = [t.extra.get("uri") or t.provider_post_id for t in targets]
        response = self.publisher._authed(channel, "GET", "app.bsky.feed.getPosts",
                                          params=[("uris", u) for u in uris])
        posts = {p.get("uri"): p for p in check(response, "bluesky", message_of,
                                                ok=(200,)).json().get("posts", [])}
        found: dict[str, Snapshot] = {}
        for target, uri in zip(targets, uris, strict=True):
            post = posts.get(uri)
            if post is None:
                found[target.post_id] = Snapshot("deleted", {}, "bluesky: the post is gone")
                continue
            found[target.post_id] = Snapshot.of(
                likes=post.get("likeCount"), reposts=post.get("repostCount"),
                replies=post.get("replyCount"), quotes=post.get("quoteCount"),
                bookmarks=post.get("bookmarkCount"))
        return found
