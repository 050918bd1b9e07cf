"""Per-channel composer preview: the publishers' own counting rules (app.channels.text), so the
dashboard never counts differently from what is published."""

from __future__ import annotations

import grapheme

from app.channels import text as rules

# Caption limits of platforms whose text has no special counting rules.
LIMITS = {"instagram": 2200, "facebook": 63206, "linkedin": 3000, "tiktok": 2200}


def preview_for(channel, content: str | list[str], options: dict | None = None) -> list[dict]:
    """One entry per part as it will be published: {text, count, limit, ok}.

    `content` is a text (split into a thread where the platform has threads) or part texts."""
    parts = [content] if isinstance(content, str) else list(content)
    settings = channel.settings or {}
    try:
        if len(parts) == 1:
            return rules.preview(channel.platform, settings, text=parts[0], options=options)
        return rules.preview(channel.platform, settings, parts=parts, options=options)
    except LookupError:
        limit = LIMITS[channel.platform]
        return [{"text": t or "", "count": grapheme.length(t or ""), "limit": limit,
                 "ok": 0 < grapheme.length(t or "") <= limit} for t in parts]
