"""TikTok's API address and how its errors map to OpenPost's: shared by the publisher, the uploads
and the sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from app.config import platform_api_url
from app.platforms import errors
from app.platforms.http import json_or_empty, plain_text, platform_message, retry_at

INVALID = {"invalid_params", "privacy_level_option_mismatch", "invalid_file_upload",
           "unaudited_client_can_only_post_to_private_accounts", "spam_risk_text"}


# Daily caps (Direct Post reference, "Error codes", https://developers.tiktok.com/doc/
# content-posting-api-reference-direct-post): "spam_risk_too_many_posts: The daily post cap from
# the API is reached for the current user", "reached_active_user_cap: The daily quota for active
# publishing users from your client is reached", and (Upload reference) at most 5 pending
# shares "within any 24-hour period". TikTok names no reset time: the post waits DAILY_WAIT,
# by which a rolling 24-hour window has surely moved on.
DAILY = {"spam_risk_too_many_posts", "reached_active_user_cap",
         "spam_risk_too_many_pending_share"}


DAILY_WAIT = timedelta(hours=24)


MEDIA = {"url_ownership_unverified", "file_format_check_failed", "duration_check_failed",
         "frame_rate_check_failed", "picture_size_check_failed", "video_pull_failed",
         "photo_pull_failed"}


def api_url() -> str:
    return platform_api_url("tiktok", "https://open.tiktokapis.com")


def error_code(response: httpx.Response) -> str:
    error = json_or_empty(response).get("error")
    return error.get("code", "") if isinstance(error, dict) else str(error or "")


def error_of(response: httpx.Response) -> errors.PublishError:
    body = json_or_empty(response)
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = error.get("code") or body.get("error") or ""
    message = platform_message(response, error.get("message"), body.get("error_description"),
                               code)
    text = f"tiktok: {message} ({plain_text(code, 100)})"
    status, raw = response.status_code, response.text[:2000]
    if code in ("access_token_invalid", "scope_not_authorized", "invalid_grant"):
        return errors.AuthRevoked(text, status=status, body=raw)
    if code in DAILY:
        return daily_cap(text, status=status, body=raw)
    if code == "rate_limit_exceeded" or status == 429:
        return errors.RateLimited(text, retry_at=retry_at(response.headers), status=status, body=raw)
    if status >= 500 or code == "internal_error":
        return errors.PlatformUnavailable(text, status=status, body=raw)
    if code in MEDIA:
        return errors.MediaRejected(text, status=status, body=raw)
    if code in INVALID or status == 400:
        return errors.InvalidContent(text, status=status, body=raw)
    return errors.PlatformRejected(text, status=status, body=raw)


def daily_cap(text: str, **http) -> errors.RateLimited:
    """A daily cap: the post waits DAILY_WAIT (see DAILY)."""
    lifts = datetime.now(UTC) + DAILY_WAIT
    return errors.RateLimited(f"{text}; TikTok's daily cap lifts by {lifts:%Y-%m-%d %H:%M} UTC",
                              retry_at=lifts, **http)
