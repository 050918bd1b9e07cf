"""LinkedIn figures, for organization pages. Social metadata,
GET /rest/socialMetadata?ids=List(...) (https://learn.microsoft.com/en-us/linkedin/marketing/
community-management/shares/social-metadata-api: reactionSummaries by type and commentSummary;
scope r_organization_social for an organization's posts), and share statistics,
GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&shares=List(...)
(https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/
share-statistics: impressions, clicks, likes, comments, shares; scope r_organization_admin).

Personal profiles are not measured: their posts' social metadata needs r_member_social, which
the Social Metadata API page (Permissions) marks "Restricted ... granted to select developers
only", and their post statistics (GET /rest/memberCreatorPostAnalytics, https://
learn.microsoft.com/en-us/linkedin/marketing/community-management/members/post-statistics)
need r_member_postAnalytics of the Community Management API, for which LinkedIn approves
partners (https://learn.microsoft.com/en-us/linkedin/shared/authentication/getting-access:
only profile, email and w_member_social are open to every app). OpenPost asks for neither, so a
reconnect cannot help: such posts are "not available" with the reason, and no call is made.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

import httpx

from app.analytics.collectors import NEEDS_SCOPE, Snapshot, Target, every
from app.ops.ratelimit import Limit
from app.platforms.base import PublishJob
from app.platforms.http import send
from app.platforms.linkedin.publisher import api_url, author_urn, error_of, rest_headers

PARTNERS_ONLY = ("LinkedIn gives figures for personal-profile posts to approved partners only, "
                 "so they are not available here (organization pages are measured)")


def unmeasured(settings: dict) -> str | None:
    """A personal profile's posts: LinkedIn gives their figures to approved partners only."""
    return None if author_urn(settings).startswith("urn:li:organization:") else PARTNERS_ONLY


def _list(urns: list[str]) -> str:
    # Rest.li 2.0: List(...) of URL-encoded URNs (https://learn.microsoft.com/en-us/linkedin/
    # shared/api-guide/concepts/protocol-version, "Rest.li Protocol 2.0").
    return "List(" + ",".join(quote(u, safe="") for u in urns) + ")"


class MetricsCollector:
    platform: ClassVar[str] = "linkedin"
    figures: ClassVar[tuple[str, ...]] = ("impressions", "reactions", "comments", "shares",
                                          "clicks")
    batch: ClassVar[int] = 50
    # Daily limits per member and per application (all members together), reset at midnight
    # UTC; LinkedIn does not publish the figures, the developer portal's Analytics tab shows
    # them (https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/rate-limits).
    # Metrics keep to 500 calls a day per member (the pages one member connected share it:
    # "Member" is the LinkedIn user whose token makes the calls, same page), and to 200 an hour
    # for all channels of the deployment (4,800 a day, paced by the hour so that what waits,
    # waits an hour at most).
    rate: ClassVar[Limit] = Limit(500, 86_400)
    app_rate: ClassVar[Limit] = Limit(200, 3_600)

    @staticmethod
    def budget_owner(settings: dict) -> str | None:
        member = settings.get("account_id")  # the member who connected the page
        return f"linkedin-member:{member}" if member else None

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.calls_made = 0  # an organization's batch takes two calls: both are counted

    def _get(self, channel: PublishJob, path: str) -> httpx.Response:
        self.calls_made += 1
        return send(self.client, "GET", f"{api_url()}{path}", platform="linkedin",
                    headers=rest_headers(channel.credentials["access_token"]))

    def collect(self, channel: PublishJob, targets: list[Target]) -> dict[str, Snapshot]:
        self.calls_made = 0
        if why := unmeasured(channel.settings):
            return every(targets, "not_available", why, final=True)
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
