"""The explicit publisher registry: platform name -> Publisher class."""

from __future__ import annotations

import httpx

from app.config import PLATFORMS
from app.platforms.base import Publisher
from app.platforms.bluesky.publisher import BlueskyPublisher
from app.platforms.errors import UnsupportedPlatform
from app.platforms.facebook.publisher import FacebookPublisher
from app.platforms.instagram.publisher import InstagramPublisher
from app.platforms.linkedin.publisher import LinkedInPublisher
from app.platforms.mastodon.publisher import MastodonPublisher
from app.platforms.threads.publisher import ThreadsPublisher
from app.platforms.tiktok.publisher import TikTokPublisher
from app.platforms.x.publisher import XPublisher

PUBLISHERS: dict[str, type[Publisher]] = {
    "x": XPublisher,
    "bluesky": BlueskyPublisher,
    "mastodon": MastodonPublisher,
    "threads": ThreadsPublisher,
    "instagram": InstagramPublisher,
    "facebook": FacebookPublisher,
    "linkedin": LinkedInPublisher,
    "tiktok": TikTokPublisher,
}


def get_publisher(platform: str, client: httpx.Client) -> Publisher:
    try:
        cls = PUBLISHERS[platform]
    except KeyError:
        if platform in PLATFORMS:
            raise UnsupportedPlatform(f"publishing to {platform} is not available yet") from None
        raise UnsupportedPlatform(f"unknown platform {platform!r}") from None
    return cls(client)
