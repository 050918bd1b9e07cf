"""Text length by each platform's own rules, thread splitting, and the composer's preview."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import grapheme
from twitter_text.config import config as twitter_config
from twitter_text.extract_urls import extract_urls_with_indices
from twitter_text.get_character_weight import get_character_weight
from twitter_text.regexp.emoji import emoji as EMOJI

URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'»”]", re.IGNORECASE)
# Mastodon counts a remote mention "@user@domain" as "@user".
MASTODON_MENTION = re.compile(r"(?<![\w/])(@\w+)@[\w.-]+\w", re.UNICODE)
SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*\s*$")
THREADS_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D"
                           "\U000E0020-\U000E007F]")


# Platforms without threads: a caption or commentary up to this many characters. The one table
# of caption limits: the publishers' checks and the composer's preview read it via rules_for().
SINGLE_POST_LIMITS = {"instagram": 2200, "facebook": 63_206, "linkedin": 3000, "tiktok": 2200}


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
    # Platforms that refuse a post with more distinct links than this (Threads).
    max_links: int | None = None


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


def _x_estimate(word: str) -> int:
    """Plain ASCII words weigh one per character; anything else asks the real parser."""
    if word.isascii() and "." not in word and ":" not in word:
        return len(word)
    return x_length(word)


def bluesky_length(text: str) -> int:
    return grapheme.length(text)


def mastodon_length(text: str, url_length: int = 23) -> int:
    text = URL.sub("x" * url_length, text)
    text = MASTODON_MENTION.sub(r"\1", text)
    return grapheme.length(text)


def threads_length(text: str) -> int:
    """Threads counts emoji by their UTF-8 bytes, everything else as one character."""
    return sum(len(g.encode()) if THREADS_EMOJI.search(g) else 1 for g in grapheme.graphemes(text))


def unique_links(text: str) -> int:
    """Distinct URLs in the text, bare domains included (www.threads.com counts), as Threads
    counts them: https://developers.facebook.com/documentation/threads/create-posts/text-attachments
    ("All unique URLs found in the text field are counted as links"). Only the scheme and host
    are compared without case (RFC 3986, 6.2.2.1); paths differing in case or a trailing slash
    are different URLs, so the count never falls below Threads' own."""
    return len({_URL_CASE.sub(lambda m: m[0].lower(), e["url"], count=1)
                for e in extract_urls_with_indices(text)})


_URL_CASE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?[^/?#]*", re.IGNORECASE)  # scheme and host


def _positive_int(value, default: int) -> int:
    """A limit an instance announced, or the default when it announced nonsense."""
    return value if isinstance(value, int) and value > 0 else default


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: TikTok's limits are "UTF-16 runes" (Direct Post and Photo
    Post references, Post Info Object), so an emoji outside the BMP counts 2."""
    return len(text.encode("utf-16-le")) // 2


def rules_for(platform: str, settings: dict | None = None, options: dict | None = None) -> Rules:
    settings, options = settings or {}, options or {}
    if platform == "x":
        return Rules("x", 280, x_length, estimate=_x_estimate)
    if platform == "bluesky":
        return Rules("bluesky", 300, bluesky_length, "graphemes", max_bytes=3000)
    if platform == "mastodon":
        per_url = _positive_int(settings.get("characters_reserved_per_url"), 23)
        # Mastodon counts the content warning against the same limit.
        spoiler = mastodon_length(options.get("spoiler_text") or "", per_url)
        return Rules("mastodon", _positive_int(settings.get("max_characters"), 500),
                     lambda t: mastodon_length(t, per_url) + spoiler)
    if platform == "threads":
        # Over 5 links fails at container creation with THREADS_API__LINK_LIMIT_EXCEEDED.
        return Rules("threads", 500, threads_length, max_links=5)
    if platform == "tiktok":
        return Rules("tiktok", SINGLE_POST_LIMITS["tiktok"], utf16_length, "UTF-16 units")
    if platform in SINGLE_POST_LIMITS:
        return Rules(platform, SINGLE_POST_LIMITS[platform], grapheme.length)
    raise LookupError(f"no text rules for {platform}")


def fits(rules: Rules, text: str) -> bool:
    if rules.count(text) > rules.limit:
        return False
    if rules.max_links is not None and unique_links(text) > rules.max_links:
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
    links = unique_links(text) if rules.max_links is not None else 0
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
            or platform in SINGLE_POST_LIMITS:
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
             **({"links": unique_links(part), "max_links": rules.max_links}
                if rules.max_links is not None else {})} for part in texts]
