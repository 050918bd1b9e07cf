"""The explicit publisher registry: platform name -> Publisher class."""

from __future__ import annotations

import httpx

from app.channels.bluesky import BlueskyPublisher
from app.channels.facebook import FacebookPublisher
from app.channels.instagram import InstagramPublisher
from app.channels.linkedin import LinkedInPublisher
from app.channels.mastodon import MastodonPublisher
from app.channels.threads import ThreadsPublisher
from app.channels.tiktok import TikTokPublisher
from app.channels.x import XPublisher
from app.config import PLATFORMS
from app.platforms.base import Publisher
from app.platforms.errors import UnsupportedPlatform

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
