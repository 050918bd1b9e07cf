"""The TikTok fake's rules from the documentation: the scope of each user-info field and
posting endpoint, the Post Info Object's text limits in UTF-16 units, the daily post cap and
the OAuth error struct of the token endpoint."""

from __future__ import annotations

import secrets
import time

from app.sandbox.core import json_response, rate_reset, state
from app.sandbox.pull import settings

# What a sign-in grants when the authorize call names no scope (OpenPost's own request).
GRANTED = "user.info.basic,video.publish,video.upload"
# The scope each Content Posting endpoint needs (its reference page, "Scope"): creator_info/query
# https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info and
# video/init https://developers.tiktok.com/doc/content-posting-api-reference-direct-post:
# video.publish; inbox/video/init
# https://developers.tiktok.com/doc/content-posting-api-reference-upload-video: video.upload;
# content/init https://developers.tiktok.com/doc/content-posting-api-reference-photo-post:
# "video.publish or video.upload", a direct post needing video.publish ("Get Started",
# Prerequisites, https://developers.tiktok.com/doc/content-posting-api-get-started).
# Fetch Status takes "video.upload/video.publish"
# (https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status).
PUBLISH, DRAFT, EITHER = ("video.publish",), ("video.upload",), ("video.publish", "video.upload")
SCOPE_REFUSED = (401, "scope_not_authorized",
                 "The user did not authorize the scope required for completing this request.")
# The scope each /v2/user/info/ field needs ("User Object", Authorized Scope column):
# https://developers.tiktok.com/doc/tiktok-api-v2-get-user-info and, for the fields moved out of
# user.info.basic, https://developers.tiktok.com/bulletin/user-info-scope-migration
# ("New Scope and Field Relationship Table").
FIELD_SCOPES = {
    **dict.fromkeys(("open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url",
                     "display_name"), "user.info.basic"),
    **dict.fromkeys(("bio_description", "profile_deep_link", "is_verified", "username"),
                    "user.info.profile"),
    **dict.fromkeys(("follower_count", "following_count", "likes_count", "video_count"),
                    "user.info.stats"),
}
# Direct Post and Photo Post "Post Info Object": a video's title (its caption) is at most 2200
# UTF-16 runes; a photo post's title at most 90 and its description at most 4000
# (https://developers.tiktok.com/doc/content-posting-api-reference-direct-post,
# https://developers.tiktok.com/doc/content-posting-api-reference-photo-post).
VIDEO_TITLE, PHOTO_TITLE, PHOTO_DESCRIPTION = 2200, 90, 4000
# "spam_risk_too_many_posts: The daily post cap from the API is reached for the current user"
# (Direct Post reference, "Error codes", HTTP 403). TikTok does not publish the cap; the
# sandbox uses 15 direct posts in 24 hours unless a control sets `daily_posts`.
DAILY_POSTS = 15


def utf16(text: str) -> int:
    """Length in UTF-16 code units, as TikTok counts its text limits."""
    return len(text.encode("utf-16-le")) // 2


def granted(user: dict) -> list[str]:
    return user.get("scopes", GRANTED).split(",")


def scope_problem(user: dict, any_of: tuple[str, ...]) -> tuple[int, str, str] | None:
    """401 scope_not_authorized when the user granted none of the scopes an endpoint takes
    (https://developers.tiktok.com/doc/tiktok-api-v2-error-handling, "All Error Codes")."""
    return None if set(any_of) & set(granted(user)) else SCOPE_REFUSED


def fields_problem(user: dict, fields: list[str]) -> tuple[int, str, str] | None:
    """(status, code, message) when user info cannot give these fields with the granted
    scopes: one field beyond them refuses the whole call with 401 scope_not_authorized
    (https://developers.tiktok.com/doc/tiktok-api-v2-error-handling, "All Error Codes"; the same
    answer to `username` under user.info.basic alone is reported in
    https://github.com/SocialiteProviders/Providers/issues/1198)."""
    unknown = [f for f in fields if f not in FIELD_SCOPES]
    if not fields or unknown:
        return 400, "invalid_params", f"invalid fields: {','.join(unknown) or '(none given)'}"
    scopes = granted(user)
    return SCOPE_REFUSED if any(FIELD_SCOPES[f] not in scopes for f in fields) else None


def text_problem(info: dict, photo: bool) -> tuple[str, str] | None:
    """The Post Info Object's limits, in UTF-16 code units (see VIDEO_TITLE)."""
    title, description = utf16(info.get("title") or ""), utf16(info.get("description") or "")
    if title > (PHOTO_TITLE if photo else VIDEO_TITLE) or description > PHOTO_DESCRIPTION:
        return "invalid_params", "title or description is too long"
    return None


def daily_cap(user: dict) -> tuple[str, str] | None:
    """Direct posts of the last 24 hours against the daily cap (see DAILY_POSTS). Only posts
    TikTok accepted count (see count_post): an init refused for another reason posts nothing."""
    now, cap = time.time(), int(settings("tiktok").get("daily_posts", DAILY_POSTS))
    with state().lock:
        posts = user.setdefault("direct_posts", [])
        posts[:] = [t for t in posts if t > now - 86_400]
        if len(posts) >= cap:
            return ("spam_risk_too_many_posts",
                    "The daily post cap from the API is reached for the current user.")
    return None


def count_post(user: dict) -> None:
    """An accepted direct post's init, counted against the daily cap."""
    with state().lock:
        user.setdefault("direct_posts", []).append(time.time())


def grant(requested: str) -> str:
    """What the user allows on the consent page: "Users can grant or deny the requested scopes
    or any subset of them" (Scopes Overview, User authorization,
    https://developers.tiktok.com/doc/scopes-overview); a control's `declined_scopes` plays a
    user who unticks some."""
    declined = set(settings("tiktok").get("declined_scopes") or [])
    return ",".join(s for s in (requested or GRANTED).split(",") if s and s not in declined)


def oauth_error(error: str, description: str, status: int = 400, headers=None):
    """/v2/oauth/token/ refuses in the OAuth error struct, not the API's {"data", "error"}:
    {"error", "error_description", "log_id"} (https://developers.tiktok.com/doc/
    oauth-error-handling, "Error struct" and "Error categories"). TikTok documents no HTTP
    status for these; the sandbox answers 400, and 500/429 for its injected faults."""
    return json_response({"error": error, "error_description": description,
                          "log_id": secrets.token_hex(10)}, status, headers)


# The token endpoint's injected faults, as OAuth errors ("server_error: Other internal server
# errors", "temporarily_unavailable: Service is temporarily unavailable", same page).
TOKEN_ERRORS = {
    "5xx": lambda f: oauth_error("server_error", "Other internal server errors.", 500),
    "429": lambda f: oauth_error("temporarily_unavailable", "Service is temporarily unavailable.",
                                 429, {"x-ratelimit-reset": str(rate_reset(f))}),
}
