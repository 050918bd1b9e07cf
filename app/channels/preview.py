"""Per-channel composer preview: the publishers' own counting rules (app.platforms.text, from each
platform's rules.py), so the dashboard never counts differently from what is published."""

from __future__ import annotations

from app.platforms import text as rules


def preview_for(channel, content: str | list, options: dict | None = None) -> list[dict]:
    """One entry per part as it will be published: {text, count, limit, ok}.

    `content` is a text (split into a thread where the platform has threads), or parts given as
    texts or as {"text": ...} dicts."""
    parts = [content] if isinstance(content, str) else [
        p.get("text", "") if isinstance(p, dict) else p for p in content]
    settings = channel.settings or {}
    if len(parts) == 1:
        shown = rules.preview(channel.platform, settings, text=parts[0], options=options)
    else:
        shown = rules.preview(channel.platform, settings, parts=parts, options=options)
    return [dict(p, ok=p["ok"] and p["count"] > 0) for p in shown]  # empty is not a post
