"""LinkedIn figures. Member posts: social metadata, GET /rest/socialMetadata?ids=List(...)
(https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/
social-metadata-api: reactionSummaries by type and commentSummary; scope r_member_social,
which LinkedIn grants only to approved partners, or r_organization_social for an
organization's posts). Organization posts also get share statistics,
GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&shares=List(...)
(https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/
share-statistics: impressions, clicks, likes, comments, shares; scope r_organization_admin).
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

import httpx

from app.analytics.collectors import NEEDS_SCOPE, Snapshot, Target
from app.ops.ratelimit import Limit
from app.platforms.base import PublishJob
from app.platforms.http import send
from app.platforms.linkedin.publisher import api_url, author_urn, error_of, rest_headers


def _list(urns: list[str]) -> str:
    # Rest.li 2.0: List(...) of URL-encoded URNs (https://learn.microsoft.com/en-us/linkedin/
    # shared/api-guide/concepts/protocol-version, "Rest.li Protocol 2.0").
    return "List(" + ",".join(quote(u, safe="") for u in urns) + ")"


class MetricsCollector:
    platform: ClassVar[str] = "linkedin"
    figures: ClassVar[tuple[str, ...]] = ("impressions", "reactions", "comments", "shares",
                                          "clicks")
    batch: ClassVar[int] = 50
    # Community Management API: member and application daily limits per endpoint (shown in
    # the developer portal's Analytics tab, https://learn.microsoft.com/en-us/linkedin/shared/
    # api-guide/concepts/rate-limits); metrics keep to 500 calls a day per channel.
    rate: ClassVar[Limit] = Limit(500, 86_400)

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def _get(self, channel: PublishJob, path: str) -> httpx.Response:
        return send(self.client, "GET", f"{api_url()}{path}", platform="linkedin",
                    headers=rest_headers(channel.credentials["access_token"]))

    def collect(self, channel: PublishJob, targets: list[Target]) -> dict[str, Snapshot]:
        urns = [t.provider_post_id for t in targets]
        found: dict[str, Snapshot] = {}
        social = self._get(channel, f"/rest/socialMetadata?ids={_list(urns)}")
        if social.status_code == 403:
            meta: dict | None = None
        elif social.status_code == 200:
            body = social.json()
            meta = {"results": body.get("results") or {}, "errors": body.get("errors") or {}}
        else:
            raise error_of(social)
        stats: dict = {}
        author = author_urn(channel.settings)
        if author.startswith("urn:li:organization:"):
            response = self._get(channel, "/rest/organizationalEntityShareStatistics?q="
                                 f"organizationalEntity&organizationalEntity="
                                 f"{quote(author, safe='')}&shares={_list(urns)}")
            if response.status_code == 200:
                stats = {e.get("share"): e.get("totalShareStatistics") or {}
                         for e in response.json().get("elements") or []}
            elif response.status_code != 403:
                raise error_of(response)
        for target, urn in zip(targets, urns, strict=True):
            if meta is not None and urn in meta["errors"] and \
                    (meta["errors"][urn] or {}).get("status") == 404:
                found[target.post_id] = Snapshot("deleted", {}, "linkedin: the post is gone")
                continue
            figures: dict = {}
            if meta is not None and urn in meta["results"]:
                result = meta["results"][urn]
                figures["reactions"] = sum(int(r.get("count") or 0) for r in
                                           (result.get("reactionSummaries") or {}).values())
                figures["comments"] = (result.get("commentSummary") or {}).get("count")
            s = stats.get(urn) or {}
            for name, key in (("impressions", "impressionCount"), ("clicks", "clickCount"),
                              ("shares", "shareCount"), ("comments", "commentCount")):
                if s.get(key) is not None:
                    figures[name] = s[key]
            snap = Snapshot.of(**figures)
            if not snap.metrics:
                snap = Snapshot("needs_scope", {}, NEEDS_SCOPE) if meta is None else \
                    Snapshot("not_available", {}, "linkedin gave no figures for this post")
            found[target.post_id] = snap
        return found
