"""Per-channel composer preview: each part's length counted in graphemes against the platform limit."""

from __future__ import annotations

import grapheme

LIMITS = {"x": 280, "bluesky": 300, "mastodon": 500, "threads": 500, "instagram": 2200,
          "facebook": 63206, "linkedin": 3000, "tiktok": 2200}


def limit_for(channel) -> int:
    """The platform limit; a Mastodon instance may announce its own."""
    if channel.platform == "mastodon":
        announced = (channel.settings or {}).get("max_characters")
        if isinstance(announced, int) and announced > 0:
            return announced
    return LIMITS[channel.platform]


def preview_for(channel, content: str | list, options: dict | None = None) -> list[dict]:
    """One entry per part: {text, count, limit, ok}. `content` is a text, or parts given as
    texts or as {"text": ...} dicts."""
    parts = [content] if isinstance(content, str) else [
        p.get("text", "") if isinstance(p, dict) else p for p in content]
    limit = limit_for(channel)
    preview = []
    for text in parts:
        count = grapheme.length(text or "")
        preview.append({"text": text or "", "count": count, "limit": limit,
                        "ok": 0 < count <= limit})
    return preview
