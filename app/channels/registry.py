"""The explicit publisher registry: platform name -> Publisher class."""

from __future__ import annotations

import httpx

from app.channels.base import Publisher

# Filled with one entry per platform module; tests and the benchmark add loopback publishers.
PUBLISHERS: dict[str, type[Publisher]] = {}


class NoPublisher(LookupError):
    """No publisher is registered for a platform."""


def get_publisher(platform: str, client: httpx.Client) -> Publisher:
    """A publisher for `platform` using `client`, or NoPublisher."""
    try:
        cls = PUBLISHERS[platform]
    except KeyError:
        raise NoPublisher(f"no publisher is installed for {platform}") from None
    return cls(client)
