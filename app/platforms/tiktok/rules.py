"""What TikTok accepts: one caption counted in UTF-16 units (no threads), photos and video."""

from __future__ import annotations

from app.media.specs import MB, ImageSpec, VideoSpec
from app.platforms.text import Rules, utf16_length

# TikTok's limits are "UTF-16 runes" (Direct Post and Photo Post references, Post Info
# Object), so an emoji outside the BMP counts 2.
CAPTION_LIMIT = 2200


def text_rules(settings: dict, options: dict) -> Rules:
    return Rules("tiktok", CAPTION_LIMIT, utf16_length, "UTF-16 units")


IMAGE = ImageSpec(("JPEG", "WEBP"), 20 * MB, max_side=1920, max_count=35)
VIDEO = VideoSpec(1024 * MB, 1, 600, 4096, 4096, max_fps=60, min_fps=23)
# Photos are sent as stored renditions (a post is photos or one video).
IMAGE_RENDITIONS = True
