"""How Bluesky words its errors: shared by the publisher and the video upload."""

from __future__ import annotations

import httpx

from app.platforms.http import json_or_empty, platform_message


def message_of(response: httpx.Response) -> str:
    body = json_or_empty(response)
    name, message = body.get("error"), body.get("message")
    return platform_message(response, f"{name}: {message}" if name and message else None,
                            name, message)
