"""What Threads accepts: text counted as Threads counts it (emoji by their bytes), at most 5
different links, images, video and carousels mixing both."""

from __future__ import annotations

import re

import grapheme
from twitter_text.extract_urls import extract_urls_with_indices

from app.media.specs import MB, ImageSpec, VideoSpec
from app.platforms.text import Rules

EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D"
                   "\U000E0020-\U000E007F]")
MAX_CHARACTERS = 500
# Over 5 links fails at container creation with THREADS_API__LINK_LIMIT_EXCEEDED.
MAX_LINKS = 5
_URL_CASE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?[^/?#]*", re.IGNORECASE)  # scheme and host


def threads_length(text: str) -> int:
    """Threads counts emoji by their UTF-8 bytes, everything else as one character."""
    return sum(len(g.encode()) if EMOJI.search(g) else 1 for g in grapheme.graphemes(text))


def unique_links(text: str) -> int:
    """Distinct URLs in the text, bare domains included (www.threads.com counts), as Threads
    counts them: https://developers.facebook.com/documentation/threads/create-posts/text-attachments
    ("All unique URLs found in the text field are counted as links"). Only the scheme and host
    are compared without case (RFC 3986, 6.2.2.1); paths differing in case or a trailing slash
    are different URLs, so the count never falls below Threads' own."""
    return len({_URL_CASE.sub(lambda m: m[0].lower(), e["url"], count=1)
                for e in extract_urls_with_indices(text)})


def text_rules(settings: dict, options: dict) -> Rules:
    return Rules("threads", MAX_CHARACTERS, threads_length, max_links=MAX_LINKS,
                 links=unique_links, threads=True)


IMAGE = ImageSpec(("JPEG", "PNG"), 8 * MB, max_count=20)
VIDEO = VideoSpec(1024 * MB, 0.1, 300, 1920, 1920, max_fps=60, min_fps=23)
# Images are sent as stored renditions; a carousel may mix images and videos.
IMAGE_RENDITIONS = True
MIXED_CAROUSEL = True
