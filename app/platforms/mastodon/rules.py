"""What a Mastodon instance accepts: text counted as Mastodon counts it (its own limits, read
from the instance), images and video."""

from __future__ import annotations

import re

from app.media.specs import MB, ImageSpec, VideoSpec
from app.platforms.text import URL, Rules, grapheme_length

# Mastodon counts a remote mention "@user@domain" as "@user".
MENTION = re.compile(r"(?<![\w/])(@\w+)@[\w.-]+\w", re.UNICODE)
MAX_CHARACTERS, URL_LENGTH = 500, 23


def mastodon_length(text: str, url_length: int = URL_LENGTH) -> int:
    text = URL.sub("x" * url_length, text)
    text = MENTION.sub(r"\1", text)
    return grapheme_length(text)


def _positive_int(value, default: int) -> int:
    """A limit an instance announced, or the default when it announced nonsense."""
    return value if isinstance(value, int) and value > 0 else default


def text_rules(settings: dict, options: dict) -> Rules:
    per_url = _positive_int(settings.get("characters_reserved_per_url"), URL_LENGTH)
    # Mastodon counts the content warning against the same limit.
    spoiler = mastodon_length(options.get("spoiler_text") or "", per_url)
    return Rules("mastodon", _positive_int(settings.get("max_characters"), MAX_CHARACTERS),
                 lambda t: mastodon_length(t, per_url) + spoiler, threads=True)


IMAGE = ImageSpec(("JPEG", "PNG", "WEBP", "GIF"), 16 * MB, max_count=4)
VIDEO = VideoSpec(99 * MB, 0.1, 3600, 3840, 2160, max_fps=120)
