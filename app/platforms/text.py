"""Counting text, thread splitting and the composer's preview. Each platform's limit and way of
counting live in its package (app/platforms/<name>/rules.py, `text_rules`); `rules_for` asks
the package. What several platforms count alike (graphemes, UTF-16 units, URLs) is here."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import grapheme

URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'»”]", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*\s*$")


@dataclass(frozen=True)
class Rules:
    """How one platform measures a post."""

    platform: str
    limit: int
    count: Callable[[str], int]
    unit: str = "characters"
    max_bytes: int | None = None
    # A cheap per-word guess of `count`, to start the splitter's search near the answer.
    estimate: Callable[[str], int] | None = None
    # Platforms that refuse a post with more distinct links than `max_links` (Threads), and how
    # they count them.
    max_links: int | None = None
    links: Callable[[str], int] | None = None
    # A long text may become a thread of posts; without, a post is one caption.
    threads: bool = False


def grapheme_length(text: str) -> int:
    """Length in user-perceived characters (a flag, an emoji with its modifiers: one)."""
    return grapheme.length(text)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: an emoji outside the BMP counts 2."""
    return len(text.encode("utf-16-le")) // 2


def rules_for(platform: str, settings: dict | None = None, options: dict | None = None) -> Rules:
    """The platform's rules, from its package's rules.py (the instance's limits in `settings`,
    the post's options in `options`)."""
    from app.platforms import registry

    package = registry.module(platform, "rules")
    if package is None:
        raise LookupError(f"no text rules for {platform}")
    rules: Rules = package.text_rules(settings or {}, options or {})
    return rules


def _links(rules: Rules, text: str) -> int:
    return rules.links(text) if rules.links is not None and rules.max_links is not None else 0


def fits(rules: Rules, text: str) -> bool:
    if rules.count(text) > rules.limit:
        return False
    if rules.max_links is not None and _links(rules, text) > rules.max_links:
        return False
    return rules.max_bytes is None or len(text.encode()) <= rules.max_bytes


def problem(rules: Rules, text: str) -> str | None:
    """Why this text does not fit, or None."""
    count = rules.count(text)
    if count > rules.limit:
        return f"{count}/{rules.limit} {rules.unit}"
    size = len(text.encode())
    if rules.max_bytes is not None and size > rules.max_bytes:
        return f"{size}/{rules.max_bytes} bytes"
    links = _links(rules, text)
    if rules.max_links is not None and links > rules.max_links:
        return f"over the link limit ({links}/{rules.max_links} different links)"
    return None


def _tokens(text: str) -> list[str]:
    """Words with their trailing whitespace; joining them gives the text back."""
    return re.findall(r"\S+\s*", text.strip())


def _hard_split(rules: Rules, word: str, room: Callable[[str], bool]) -> list[str]:
    """A word longer than a whole post, cut between graphemes."""
    pieces, current = [], ""
    for g in grapheme.graphemes(word):
        if current and not room(current + g):
            pieces.append(current)
            current = ""
        current += g
    return pieces + ([current] if current else [])


def _longest(tokens: list[str], start: int, room: Callable[[str], bool], guess: int) -> int:
    """The largest end such that tokens[start:end] fits (start when not even one does).
    Adding a whole word never shortens a text, so a galloping binary search from the
    estimated end holds, and usually settles in two or three exact counts."""
    def ok(end: int) -> bool:
        return room("".join(tokens[start:end]).strip())

    if not ok(start + 1):
        return start
    guess, step = min(max(guess, start + 1), len(tokens)), 1
    if ok(guess):
        low = guess
        while low + step <= len(tokens) and ok(low + step):
            low, step = low + step, step * 2
        high = min(low + step, len(tokens) + 1)
    else:
        high = guess
        while high - step > start + 1 and not ok(high - step):
            high, step = high - step, step * 2
        low = max(high - step, start + 1)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if ok(mid) else (low, mid)
    return low


def _guess(rules: Rules, tokens: list[str], start: int, budget: int) -> int:
    estimate, total, end = rules.estimate or rules.count, 0, start
    while end < len(tokens):
        total += estimate(tokens[end])
        if total > budget:
            break
        end += 1
    return end


def _pack(rules: Rules, text: str, room: Callable[[str], bool], reserve: int = 0) -> list[str]:
    tokens, parts, i = _tokens(text), [], 0
    while i < len(tokens):
        end = _longest(tokens, i, room, _guess(rules, tokens, i, rules.limit - reserve))
        if end == i:
            word = tokens[i]
            pieces = _hard_split(rules, word.strip(), room)
            parts.extend(pieces[:-1])
            tokens[i] = pieces[-1] + word[len(word.rstrip()):]
            continue
        if end < len(tokens):
            end = i + _sentence_break(rules, tokens[i:end])
        parts.append("".join(tokens[i:end]).strip())
        i = end
    return [p for p in parts if p]


def _sentence_break(rules: Rules, tokens: list[str]) -> int:
    """How many tokens to keep: up to the last sentence end if that fills half of the post."""
    for i in range(len(tokens) - 1, 0, -1):
        if SENTENCE_END.search(tokens[i - 1]) or "\n\n" in tokens[i - 1]:
            if rules.count("".join(tokens[:i]).strip()) * 2 >= rules.limit:
                return i
            break
    return len(tokens)


def split(rules: Rules, text: str, numbering: bool = False) -> list[str]:
    """The text as a thread: every part fits, words stay whole (unless one alone is too long)."""
    if fits(rules, text.strip()):
        return [text.strip()]
    if not numbering:
        return _pack(rules, text, lambda t: fits(rules, t))
    total = 9
    while True:
        suffix = f"\n\n{total}/{total}"
        parts = _pack(rules, text, lambda t, s=suffix: fits(rules, t + s), len(suffix))
        if len(str(len(parts))) <= len(str(total)):
            return [f"{p}\n\n{i}/{len(parts)}" for i, p in enumerate(parts, 1)]
        total = 10 ** len(str(len(parts))) - 1


def plan(platform: str, settings: dict, texts: list[str], options: dict) -> list[str]:
    """The texts to publish: explicit parts as given, or one long text split when allowed."""
    rules = rules_for(platform, settings, options)
    if len(texts) != 1 or fits(rules, texts[0].strip()) or options.get("auto_thread") is False \
            or not rules.threads:
        return [t.strip() for t in texts]
    return split(rules, texts[0], bool(options.get("numbering")))


def preview(platform: str, settings: dict, text: str | None = None,
            parts: list[str] | None = None, options: dict | None = None) -> list[dict]:
    """What the composer shows: each part with its count against the platform's limit."""
    options = options or {}
    rules = rules_for(platform, settings, options)
    texts = plan(platform, settings, [text or ""] if parts is None else list(parts), options)
    return [{"text": part, "count": rules.count(part), "limit": rules.limit, "unit": rules.unit,
             "bytes": len(part.encode()), "ok": problem(rules, part) is None,
             **({"links": _links(rules, part), "max_links": rules.max_links}
                if rules.max_links is not None else {})} for part in texts]
