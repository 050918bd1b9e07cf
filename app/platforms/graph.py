"""Meta Graph API calls shared by Instagram and Facebook Pages: error codes and requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar

import httpx

from app.platforms.base import PublishJob
from app.platforms.errors import (
    AuthRevoked,
    InvalidContent,
    MediaRejected,
    PlatformRejected,
    PlatformUnavailable,
    PublishError,
    RateLimited,
)
from app.platforms.http import json_or_empty, lifetime, platform_message, send

# The Graph API version every Instagram and Facebook call uses, and the day Meta expires it;
# `openpost doctor` warns 60 days before. v25.0 is the newest version whose end date Meta has
# published (v26.0 and v27.0 say "TBD"): "Available Graph API Versions", v25.0, February 18,
# 2026, available until July 29, 2028. https://developers.facebook.com/docs/graph-api/changelog
VERSION = "v25.0"
SUNSET = date(2028, 7, 29)
VERSIONS_DOC = "https://developers.facebook.com/docs/graph-api/changelog/versions/"
# Graph refuses no call to an expired version: "any calls made to it will be defaulted to the
# next oldest usable version" (https://developers.facebook.com/docs/graph-api/guides/versioning,
# "Version Schedules"), so that version's breaking changes arrive unannounced.
AFTER_SUNSET = "calls are answered by the next version Meta serves, with its breaking changes"
THROTTLED = {4, 17, 32, 613}
# Graph throttling says nothing about when it lifts; Meta suggests waiting a while.
THROTTLE_WAIT = timedelta(minutes=15)
# Instagram's content publishing limit (100 posts in 24 h) is reached: subcode 2207042.
PUBLISH_LIMIT = 2207042
MEDIA_SUBCODES = {2207001, 2207003, 2207004, 2207005, 2207009, 2207026, 2207052}
# Long-lived user tokens (Instagram Login, Threads) last 60 days; one "at least 24 hours old but
# [that] has not expired" can be refreshed, and the new one is "valid for 60 days from the date
# at which [it is] refreshed". An expired one cannot be refreshed: the account must reconnect.
# https://developers.facebook.com/docs/instagram-platform/reference/refresh_access_token
# https://developers.facebook.com/docs/threads/get-started/long-lived-tokens ("Refresh ...")
LONG_LIVED = 60 * 86_400
MIN_AGE = 86_400
# Refresh with half the life left: the periodic sweep renews an idle account a month before it
# would be lost, and a failing refresh has weeks of retries.
REFRESH_WINDOW = 30 * 86_400


def long_lived_due(expires: float | str | None, now: float) -> bool:
    """Whether a long-lived token expiring at `expires` should be refreshed now: inside the
    window and old enough for Meta to accept the refresh (an expired one is due too: the refresh
    is refused and the channel asks for a reconnect)."""
    if not expires:
        return False
    left = float(expires) - now
    return left < REFRESH_WINDOW and LONG_LIVED - left >= MIN_AGE


class LongLivedTokens:
    """The token rules of the platforms with 60-day long-lived tokens (Instagram Login,
    Threads): refreshed by the sweep with 30 of their 60 days left, once a day old; the
    publisher's `refresh_if_due` makes the exchange."""

    refresh_window: ClassVar[float] = REFRESH_WINDOW

    @classmethod
    def refresh_due(cls, credentials: dict, now: float) -> bool:
        return long_lived_due(credentials.get("expires_at"), now)

    def refresh_token(self, job: PublishJob) -> None:
        self.refresh_if_due(job)

    def refresh_if_due(self, job: PublishJob) -> None:
        raise NotImplementedError


def refresh_long_lived(job: PublishJob, platform: str,
                       exchange: Callable[[PublishJob, dict], dict]) -> None:
    """Refresh the job's long-lived token when due (under the engine's channel lock)."""
    expires, now = job.credentials.get("expires_at"), time.time()
    if not long_lived_due(expires, now):
        return
    if float(expires) <= now:
        raise AuthRevoked(f"{platform}: the access token expired; reconnect the channel")
    job.refresh_with(lambda creds: exchange(job, creds))


def long_lived(creds: dict, body: dict) -> dict:
    """The credentials after a refresh answered with `body` (access_token, expires_in)."""
    return {**creds, "access_token": body["access_token"],
            "expires_at": int(time.time()) + lifetime(body.get("expires_in"), LONG_LIVED)}


def error_of(response: httpx.Response, platform: str) -> PublishError:
    """Graph errors by code: 190 auth, 4/17/32/613 throttling, 1/2 transient, 100 bad input."""
    body = json_or_empty(response).get("error") or {}
    code, sub = body.get("code"), body.get("error_subcode")
    message = platform_message(response, body.get("error_user_msg"), body.get("message"))
    text, status, raw = f"{platform}: {message}", response.status_code, response.text[:2000]
    if code == 190:
        return AuthRevoked(text, status=status, body=raw)
    if code in THROTTLED or sub == PUBLISH_LIMIT:
        return RateLimited(text, retry_at=datetime.now(UTC) + THROTTLE_WAIT, status=status)
    if code in (1, 2) or status >= 500:
        return PlatformUnavailable(text, status=status, body=raw)
    if sub in MEDIA_SUBCODES or code in (324, 352, 36000, 36001, 36003, 9004):
        return MediaRejected(text, status=status, body=raw)
    if code == 100 or status == 400:
        return InvalidContent(text, status=status, body=raw)
    return PlatformRejected(text, status=status, body=raw)


def call(client: httpx.Client, job: PublishJob, platform: str, method: str, url: str, *,
         token: str, files=None, headers=None, **params) -> dict:
    """One Graph request with the token as a parameter; any error becomes a PublishError."""
    params["access_token"] = token
    kw: dict = {"params": params} if method == "GET" else {"data": params}
    if files:
        kw["files"] = files
    response = send(client, method, url, platform=platform, post_id=job.post_id,
                    headers=headers, **kw)
    if response.status_code != 200:
        raise error_of(response, platform)
    return response.json()
