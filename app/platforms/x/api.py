"""X's API address and how it words its errors: shared by the publisher, the video upload
and the sign-in."""

from __future__ import annotations

import httpx

from app.config import platform_api_url
from app.platforms.http import json_or_empty, platform_message


def api_url() -> str:
    return platform_api_url("x", "https://api.x.com")


def message_of(response: httpx.Response) -> str:
    """X's own words: problem+json `detail`/`title`, or `errors[0].message`, or OAuth errors."""
    body = json_or_empty(response)
    errors = body.get("errors") or []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    return platform_message(response, first.get("message"), first.get("detail"),
                            body.get("detail"), body.get("title"), body.get("error_description"),
                            body.get("error"))
