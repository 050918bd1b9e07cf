"""What Bluesky accepts: text in graphemes and bytes, images and video."""

from __future__ import annotations

from app.media.specs import ImageSpec, VideoSpec
from app.platforms.text import Rules, grapheme_length

MAX_GRAPHEMES, MAX_BYTES = 300, 3000


def text_rules(settings: dict, options: dict) -> Rules:
    return Rules("bluesky", MAX_GRAPHEMES, grapheme_length, "graphemes", max_bytes=MAX_BYTES,
                 threads=True)


IMAGE = ImageSpec(("JPEG", "PNG", "WEBP"), 2_000_000, max_side=2000, max_count=4)
# app.bsky.embed.video: "May be up to 300mb, formerly limited to 100mb" (maxSize 300000000)
# https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/embed/video.json
VIDEO = VideoSpec(300_000_000, 0.1, 180, 1920, 1920)
