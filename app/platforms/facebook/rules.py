"""What a Facebook Page accepts: one post (no threads), images and video."""

from __future__ import annotations

from app.media.specs import MB, ImageSpec, VideoSpec
from app.platforms.text import Rules, grapheme_length

MESSAGE_LIMIT = 63_206


def text_rules(settings: dict, options: dict) -> Rules:
    return Rules("facebook", MESSAGE_LIMIT, grapheme_length)


IMAGE = ImageSpec(("JPEG", "PNG"), 10 * MB, max_count=10)
VIDEO = VideoSpec(1024 * MB, 1, 14400, 1920, 1920)
# Images are sent as stored renditions (a video goes alone in a post).
IMAGE_RENDITIONS = True
