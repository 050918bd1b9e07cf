"""Bluesky rich-text facets: links, mentions and hashtags at UTF-8 byte offsets."""

from __future__ import annotations

import re
from collections.abc import Callable

from app.platforms.text import URL

MENTION = re.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
                     r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+)")
TAG = re.compile(r"(?:^|(?<=\s))#([^\s#\d.,;:!?()\[\]{}'\"][^\s#.,;:!?()\[\]{}'\"]*)")


def _byte_slice(text: str, start: int, end: int) -> dict:
    return {"byteStart": len(text[:start].encode()), "byteEnd": len(text[:end].encode())}


def detect(text: str, resolve: Callable[[str], str | None]) -> tuple[list[dict], list[str]]:
    """Facets for the text and warnings; `resolve` turns a handle into a DID or None."""
    facets, warnings = [], []
    for match in URL.finditer(text):
        facets.append({"index": _byte_slice(text, *match.span()),
                       "features": [{"$type": "app.bsky.richtext.facet#link",
                                     "uri": match.group(0)}]})
    for match in MENTION.finditer(text):
        handle = match.group(1).lower()
        did = resolve(handle)
        if did is None:
            warnings.append(f"@{handle} could not be resolved; it is posted as plain text")
            continue
        facets.append({"index": _byte_slice(text, *match.span()),
                       "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]})
    for match in TAG.finditer(text):
        tag = match.group(1)
        if len(tag) > 64:
            continue
        facets.append({"index": _byte_slice(text, *match.span()),
                       "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}]})
    facets.sort(key=lambda f: f["index"]["byteStart"])
    return facets, warnings
