"""What Instagram accepts: one caption (no threads), images, video and carousels mixing both."""

from __future__ import annotations

from app.media.specs import MB, ImageSpec, VideoSpec
from app.platforms.text import Rules, grapheme_length

CAPTION_LIMIT = 2200


def text_rules(settings: dict, options: dict) -> Rules:
    return Rules("instagram", CAPTION_LIMIT, grapheme_length)


IMAGE = ImageSpec(("JPEG",), 8 * MB, max_side=1440, min_aspect=4 / 5, max_aspect=1.91,
                  max_count=10)
VIDEO = VideoSpec(300 * MB, 3, 900, 1920, 1920, max_fps=60, min_fps=23, min_aspect=0.01,
                  max_aspect=10)
# Images are sent as stored renditions; a carousel may mix images and videos.
IMAGE_RENDITIONS = True
MIXED_CAROUSEL = True
