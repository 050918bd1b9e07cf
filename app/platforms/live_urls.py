"""Live post URLs a platform returns are kept only as https on that platform's own host.

A platform's answer is not trusted to be a safe link: a `javascript:` URL or one on another
host is dropped (the post is still published, with a warning) and never shown as a link.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from app.platforms.base import PartResult, PublishResult

# The hosts (and their subdomains) each platform's live URLs live on, as its publisher builds
# them or its API returns them. Mastodon's is the instance's own host, from the channel.
HOSTS = {
    "x": ("x.com", "twitter.com"),
    "bluesky": ("bsky.app",),
    "mastodon": (),
    "threads": ("threads.net", "threads.com"),
    "instagram": ("instagram.com",),
    "facebook": ("facebook.com",),
    "linkedin": ("linkedin.com",),
    "tiktok": ("tiktok.com",),
}
# Settings naming the server a platform's URLs are built from (a Mastodon instance, which may
# be a local sandbox on plain http): its exact scheme and host are allowed too.
BASE_SETTINGS = ("instance_url",)


def allowed(platform: str, settings: dict | None, url: str | None) -> bool:
    """True for https on the platform's host, or the configured base's own scheme and host."""
    try:
        parts = urlsplit(url or "")
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return False
    if not host or parts.username or parts.password:
        return False
    if parts.scheme == "https" and any(host == h or host.endswith("." + h)
                                       for h in HOSTS.get(platform, ())):
        return True
    return any(_origin(settings.get(name)) == (parts.scheme, parts.netloc.lower())
               for name in BASE_SETTINGS if settings and settings.get(name))


def _origin(base: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    return (parts.scheme, parts.netloc.lower()) if parts.scheme in ("http", "https") else None


def checked_part(platform: str, settings: dict | None, part: PartResult) -> PartResult:
    """The part, without its live URL when that URL is not allowed."""
    if part.live_url is None or allowed(platform, settings, part.live_url):
        return part
    return replace(part, live_url=None)


def checked(platform: str, settings: dict | None, result: PublishResult) -> PublishResult:
    """The result with every live URL that is not allowed dropped, and a warning saying so."""
    urls = [result.live_url, *(p.live_url for p in result.parts)]
    if all(u is None or allowed(platform, settings, u) for u in urls):
        return result
    live_url = result.live_url if allowed(platform, settings, result.live_url) else None
    hosts = " or ".join(HOSTS.get(platform, ())) or "the instance's own host"
    warning = (f"{platform} returned a link to the published post that is not an https "
               f"address on {hosts}; it was dropped and is not shown")
    return replace(result, live_url=live_url,
                   parts=[checked_part(platform, settings, p) for p in result.parts],
                   warnings=[*result.warnings, warning])
