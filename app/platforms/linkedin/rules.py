"""What LinkedIn accepts: one post's commentary (no threads), images and video."""

from __future__ import annotations

from app.media.specs import MB, ImageSpec, VideoSpec
from app.platforms.text import Rules, grapheme_length

COMMENTARY_LIMIT = 3000


def text_rules(settings: dict, options: dict) -> Rules:
    return Rules("linkedin", COMMENTARY_LIMIT, grapheme_length)


IMAGE = ImageSpec(("JPEG", "PNG", "GIF"), 10 * MB, max_count=20)
VIDEO = VideoSpec(500 * MB, 3, 1800, 4096, 2304)
# Images are sent as stored renditions (a video goes alone in a post).
IMAGE_RENDITIONS = True
