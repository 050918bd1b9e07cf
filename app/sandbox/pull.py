"""What the URL-pulling fakes share: fetching a media link as Meta and TikTok do, and
processing that finishes after a few status polls."""

from __future__ import annotations

import httpx

from app.sandbox.core import state


def settings(platform: str) -> dict:
    return state().bucket(platform, "settings")


def pull(platform: str, url: str) -> str | None:
    """Why the link could not be fetched as media, or None. Only done when the test switched
    it on ({"fetch_media": true}): other runs may hand out links nothing serves."""
    if not url.startswith(("http://", "https://")):
        return "the media URL must be http(s)"
    if not settings(platform).get("fetch_media"):
        return None
    try:
        response = httpx.get(url, timeout=10.0)
    except httpx.HTTPError as exc:
        return f"the media could not be fetched ({exc.__class__.__name__})"
    if response.status_code != 200:
        return f"the media URL answered {response.status_code}"
    kind = response.headers.get("content-type", "")
    if not kind.startswith(("image/", "video/")):
        return f"the media URL served {kind or 'no content type'}"
    with state().lock:
        state().bucket(platform, "pulled")[url] = {"bytes": len(response.content),
                                                   "content_type": kind}
    return None


def step(item: dict, done: str, key: str = "status") -> str:
    """Advance an item's processing by one status poll; it is done when no polls are left."""
    with state().lock:
        if item.get("polls_left", 0) > 0:
            item["polls_left"] -= 1
        elif item[key] not in (done, "PUBLISHED", "ERROR", "FAILED", "EXPIRED"):
            item[key] = done
        return item[key]
