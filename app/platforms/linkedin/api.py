"""LinkedIn's pinned API version with its sunset, its addresses, headers and error wording: shared
by the publisher, the media uploads and the sign-in."""

from __future__ import annotations

from datetime import date

import httpx

from app import config
from app.config import platform_api_url
from app.platforms.http import json_or_empty, platform_message

# The LinkedIn-Version every versioned call sends (posts, images, videos, organizations, the
# connect flow), and the day LinkedIn sunsets it; `openpost doctor` warns 60 days before.
# https://learn.microsoft.com/en-us/linkedin/marketing/integrations/migrations ("API Migration
# Status": 202603 (March 2026), sunset March 16, 2027, Active). Versions live about a year:
# https://learn.microsoft.com/en-us/linkedin/marketing/versioning
VERSION = "202603"
SUNSET = date(2027, 3, 16)
VERSIONS_DOC = "https://learn.microsoft.com/en-us/linkedin/marketing/integrations/migrations"
# A sunset version is refused: 426 NONEXISTENT_VERSION "Requested version ... is not active".
AFTER_SUNSET = "every call is refused (426 NONEXISTENT_VERSION)"


def api_url() -> str:
    return platform_api_url("linkedin", "https://api.linkedin.com")


def oauth_url() -> str:
    override = config.settings().platform("linkedin").api_url
    return override.rstrip("/") if override else "https://www.linkedin.com"


def message_of(response: httpx.Response) -> str:
    body = json_or_empty(response)
    return platform_message(response, body.get("message"), body.get("error_description"),
                            body.get("error"))


def rest_headers(token: str) -> dict:
    """The headers every versioned (/rest) call sends: LinkedIn refuses a call without a
    LinkedIn-Version (400 VERSION_MISSING) or with a sunset one (426 NONEXISTENT_VERSION)."""
    return {"Authorization": f"Bearer {token}", "LinkedIn-Version": VERSION,
            "X-Restli-Protocol-Version": "2.0.0"}


def author_urn(settings: dict) -> str:
    """Who posts: the member or organization URN; a bare id (REST API connect) is a member."""
    given = str(settings.get("author_urn") or settings.get("account_id") or "")
    return given if given.startswith("urn:li:") else f"urn:li:person:{given}"
