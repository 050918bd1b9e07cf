"""Mastodon figures: GET /api/v1/statuses?id[]=…, up to 20 statuses a call, on Mastodon 4.3 and
later (https://docs.joinmastodon.org/methods/statuses/#index, "View multiple statuses": statuses
that do not exist or cannot be seen are left out of the answer; more than DEFAULT_STATUSES_LIMIT,
20, ids are refused with 422 by Api::V1::StatusesController#check_statuses_limit). An older
instance has no such route and answers 404: its statuses are read one a call,
GET /api/v1/statuses/:id (https://docs.joinmastodon.org/methods/statuses/#get), and the
instance is remembered for a while. A status left out of a batch is looked up alone, so a
deleted one (404 there) is still told from one the token may not read.

The counts are the Status entity's favourites_count, reblogs_count, replies_count and, since
4.5, quotes_count (https://docs.joinmastodon.org/entities/Status/). Mastodon gives no
impressions.
"""

from __future__ import annotations

import time
from typing import ClassVar

import httpx

from app.analytics.collectors import NEEDS_SCOPE, Snapshot, Target, every
from app.ops.ratelimit import Limit
from app.platforms.base import PublishJob
from app.platforms.http import check, send
from app.platforms.mastodon.publisher import OUTSIDE_SCOPES, message_of

MAX_IDS = 20
OLD_FOR = 6 * 3600  # seconds an instance without the batch route is read one a call
_old: dict[str, float] = {}  # instance URL -> time.monotonic() until it is asked again


class MetricsCollector:
    platform: ClassVar[str] = "mastodon"
    figures: ClassVar[tuple[str, ...]] = ("likes", "reposts", "replies", "quotes")
    batch: ClassVar[int] = MAX_IDS
    # 300 calls per 5 minutes per account (https://docs.joinmastodon.org/api/rate-limits/,
    # Limits per account): metrics take 150, half, leaving the rest to publishing.
    rate: ClassVar[Limit] = Limit(150, 300)

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.calls_made = 0

    def one_a_call(self, channel: PublishJob) -> bool:
        """An instance found older than 4.3 is read one status a call for a while."""
        return _old.get(_base(channel), 0.0) > time.monotonic()

    def collect(self, channel: PublishJob, targets: list[Target]) -> dict[str, Snapshot]:
        self.calls_made = 0
        base = _base(channel)
        headers = {"Authorization": f"Bearer {channel.credentials['access_token']}"}
        if self.one_a_call(channel):
            return {t.post_id: self._one(base, headers, t) for t in targets}
        # At most `batch` (MAX_IDS) targets a call: one request reads them all.
        response = self._get(base, "/api/v1/statuses", headers,
                             params=[("id[]", t.provider_post_id) for t in targets])
        if response.status_code == 404:  # no such route before 4.3
            _old[base] = time.monotonic() + OLD_FOR
            return {t.post_id: self._one(base, headers, t) for t in targets}
        if response.status_code == 403 and OUTSIDE_SCOPES in message_of(response):
            return every(targets, "needs_scope", NEEDS_SCOPE)
        given = {str(s.get("id")): s for s in check(response, "mastodon", message_of,
                                                    ok=(200,)).json() or []}
        # Left out: gone, or not visible to this token; the status alone tells which.
        return {t.post_id: _figures(given[t.provider_post_id]) if t.provider_post_id in given
                else self._one(base, headers, t) for t in targets}

    def _get(self, base: str, path: str, headers: dict, post_id: str | None = None,
             params=None) -> httpx.Response:
        self.calls_made += 1
        return send(self.client, "GET", f"{base}{path}", platform="mastodon", post_id=post_id,
                    headers=headers, params=params)

    def _one(self, base: str, headers: dict, target: Target) -> Snapshot:
        response = self._get(base, f"/api/v1/statuses/{target.provider_post_id}", headers,
                             post_id=target.post_id)
        if response.status_code in (404, 410):
            return Snapshot("deleted", {}, f"mastodon: {message_of(response)}")
        if response.status_code == 403 and OUTSIDE_SCOPES in message_of(response):
            return Snapshot("needs_scope", {}, NEEDS_SCOPE)
        return _figures(check(response, "mastodon", message_of, ok=(200,)).json())


def _base(channel: PublishJob) -> str:
    return channel.settings["instance_url"].rstrip("/")


def _figures(status: dict) -> Snapshot:
    return Snapshot.of(likes=status.get("favourites_count"), reposts=status.get("reblogs_count"),
                       replies=status.get("replies_count"), quotes=status.get("quotes_count"))
