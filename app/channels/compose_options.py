"""The platform-specific post options the composer offers for a channel (and the API lists)."""

from __future__ import annotations

from app.channels.linkedin import VISIBILITIES as LINKEDIN_VISIBILITIES
from app.channels.mastodon import VISIBILITIES as MASTODON_VISIBILITIES

THREAD = {"auto_thread": {"type": "boolean", "default": True},
          "numbering": {"type": "boolean", "default": False}}


def post_options(platform: str, settings: dict) -> dict:
    """{option name: {"type", "choices"?, "required"?, "default"?}} for posts on this channel.

    TikTok's privacy levels are the ones creator_info gave when the channel was connected;
    publishing asks creator_info again and refuses a level no longer offered."""
    if platform == "tiktok":
        return {"privacy_level": {"type": "choice", "required": True,
                                  "choices": list(settings.get("privacy_level_options") or [])},
                "disable_comment": {"type": "boolean", "default": False},
                "disable_duet": {"type": "boolean", "default": False},
                "disable_stitch": {"type": "boolean", "default": False},
                "title": {"type": "text", "max_length": 90}}
    if platform == "linkedin":
        return {"visibility": {"type": "choice", "choices": list(LINKEDIN_VISIBILITIES),
                               "default": "PUBLIC"},
                "title": {"type": "text"}}
    if platform == "facebook":
        return {"link": {"type": "url"}, "title": {"type": "text"}}
    if platform == "mastodon":
        return {**THREAD, "visibility": {"type": "choice", "choices": list(MASTODON_VISIBILITIES),
                                         "default": "public"},
                "spoiler_text": {"type": "text"}, "sensitive": {"type": "boolean"},
                "language": {"type": "text"}}
    if platform == "bluesky":
        return {**THREAD, "langs": {"type": "list", "max_items": 3}}
    if platform in ("x", "threads"):
        return dict(THREAD)
    return {}
