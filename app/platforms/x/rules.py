"""What X accepts: text by its weighted length (twitter-text), images and video."""

from __future__ import annotations

import re
import unicodedata

from twitter_text.config import config as twitter_config
from twitter_text.extract_urls import extract_urls_with_indices
from twitter_text.get_character_weight import get_character_weight
from twitter_text.regexp.emoji import emoji as EMOJI

from app.media.specs import MB, ImageSpec, VideoSpec
from app.platforms.text import Rules

# twitter-text's parse_tweet runs its (slow) emoji pattern over the whole text on every call.
# Emoji are made only of the characters below, so the same pattern runs over those runs alone;
# URLs and weights come from twitter-text too. A property test holds this equal to parse_tweet.
_EMOJI_RUN = re.compile("[#*0-9\u00a9\u00ae\u2000-\U0010ffff]+")
_X = twitter_config["defaults"]


def _emoji_spans(text: str) -> dict[int, int]:
    spans = {}
    for run in _EMOJI_RUN.finditer(text):
        for match in EMOJI.finditer(run.group(0)):
            spans[run.start() + match.start()] = run.start() + match.end()
    return spans


def x_length(text: str) -> int:
    """X's weighted length (twitter-text v3): URLs 23, emoji and CJK 2, NFC first."""
    normalized = re.sub(r"\r\n|\r", "\n", unicodedata.normalize("NFC", text))
    urls = {e["indices"][0]: e["indices"][1] for e in extract_urls_with_indices(normalized)}
    emoji = _emoji_spans(normalized)
    total, index = 0, 0
    while index < len(normalized):
        if index in urls:
            total, index = total + _X["transformed_url_length"] * _X["scale"], urls[index]
        elif index in emoji:
            total, index = total + _X["default_weight"], emoji[index]
        else:
            total, index = total + get_character_weight(normalized[index], _X), index + 1
    return int(total / _X["scale"])


def _estimate(word: str) -> int:
    """Plain ASCII words weigh one per character; anything else asks the real parser."""
    if word.isascii() and "." not in word and ":" not in word:
        return len(word)
    return x_length(word)


def text_rules(settings: dict, options: dict) -> Rules:
    return Rules("x", 280, x_length, estimate=_estimate, threads=True)


# https://docs.x.com/x-api/media (Media types & size restrictions: Image 5 MB, GIF 15 MB)
IMAGE = ImageSpec(("JPEG", "PNG", "WEBP", "GIF"), 5 * MB, max_count=4, max_gif_bytes=15 * MB)
VIDEO = VideoSpec(512 * MB, 0.5, 140, 1280, 1024, max_fps=60, min_aspect=1 / 3, max_aspect=3)
