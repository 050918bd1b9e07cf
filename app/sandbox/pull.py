"""What the URL-pulling fakes share: fetching a media link as Meta and TikTok do, and
processing that finishes after a few status polls."""

from __future__ import annotations

import time

import httpx

from app import net
from app.sandbox.core import state

MAX_PULL_BYTES = 100 * 1024 * 1024  # read and counted, never kept
PULL_SECONDS = 10.0  # the whole fetch, connection to last byte
NOT_FETCHED = "the media could not be fetched from the URL"


def settings(platform: str) -> dict:
    return state().settings(platform)


def _fetch(url: str) -> tuple[int, str]:
    """(bytes, content type) of a media link, through OpenPost's guarded outbound client:
    internal addresses are refused before connecting; size and time are bounded."""
    deadline = time.monotonic() + PULL_SECONDS
    with net.client(timeout=httpx.Timeout(5.0)) as client, client.stream("GET", url) as response:
        kind = response.headers.get("content-type", "")
        if response.status_code != 200 or not kind.startswith(("image/", "video/")):
            raise ValueError("not media")
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_PULL_BYTES or time.monotonic() > deadline:
                raise ValueError("too big or too slow")
    return size, kind


def pull(platform: str, url: str) -> str | None:
    """Why the link could not be fetched as media, or None. Only done when the test switched
    it on ({"fetch_media": true}): other runs may hand out links nothing serves. Every failure
    reads the same, so the status never tells whether a refused or internal host answered."""
    if not url.startswith(("http://", "https://")):
        return "the media URL must be http(s)"
    if not settings(platform).get("fetch_media"):
        return None
    try:
        size, kind = _fetch(url)
    except (httpx.HTTPError, net.UnsafeDestination, ValueError):
        return NOT_FETCHED
    with state().lock:
        state().bucket(platform, "pulled")[url] = {"bytes": size, "content_type": kind}
    return None


def step(item: dict, done: str, key: str = "status") -> str:
    """Advance an item's processing by one status poll; it is done when no polls are left."""
    with state().lock:
        if item.get("polls_left", 0) > 0:
            item["polls_left"] -= 1
        elif item[key] not in (done, "PUBLISHED", "ERROR", "FAILED", "EXPIRED"):
            item[key] = done
        return item[key]
