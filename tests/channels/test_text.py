"""Counting by each platform's rules, the thread splitter, facets and the composer's preview."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.platforms import text
from app.platforms.bluesky import facets
from app.platforms.mastodon.rules import mastodon_length
from app.platforms.threads.rules import threads_length
from app.platforms.x.rules import x_length

FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467"  # ZWJ sequence: one grapheme
THUMB = "\U0001F44D\U0001F3FD"  # emoji with a skin-tone modifier
E_ACUTE = "e\u0301"  # combining mark


@pytest.mark.parametrize("sample, x, bluesky, mastodon", [
    ("hello", 5, 5, 5),
    ("日本語", 6, 3, 3),  # CJK weighs 2 on X
    (FAMILY, 2, 1, 1),
    (THUMB, 2, 1, 1),
    (E_ACUTE * 3, 3, 3, 3),  # X normalises to NFC first
    ("see https://example.com/" + "a" * 80, 27, 104, 27),  # a URL weighs 23 on X/Mastodon
    ("@alice@example.social hi", 24, 24, 9),  # Mastodon counts a remote mention as @user
])
def test_counts_follow_each_platform(sample, x, bluesky, mastodon):
    assert x_length(sample) == x
    assert text.grapheme_length(sample) == bluesky
    assert mastodon_length(sample) == mastodon


def test_threads_counts_emoji_by_their_bytes():
    assert threads_length("hi") == 2
    assert threads_length("\U0001F600") == 4
    assert threads_length(FAMILY) == len(FAMILY.encode())


def test_bluesky_byte_limit_applies_beside_the_grapheme_limit():
    rules = text.rules_for("bluesky")
    heavy = FAMILY * 200  # 200 graphemes, 3600 bytes
    assert text.problem(rules, heavy) == f"{len(heavy.encode())}/3000 bytes"


def test_mastodon_limit_comes_from_the_instance_and_includes_the_content_warning():
    rules = text.rules_for("mastodon", {"max_characters": 1000}, {"spoiler_text": "cw " * 10})
    assert rules.limit == 1000
    assert rules.count("x" * 10) == 40


def test_split_prefers_sentence_ends():
    sentence = "This sentence is exactly long enough to matter here. "
    parts = text.split(text.rules_for("x"), sentence * 8)
    assert len(parts) == 2
    assert all(p.endswith("matter here.") for p in parts)


def test_numbering_fits_inside_the_limit():
    parts = text.split(text.rules_for("x"), "word " * 400, numbering=True)
    assert parts[0].endswith(f"1/{len(parts)}") and parts[-1].endswith(f"{len(parts)}/{len(parts)}")
    assert all(x_length(p) <= 280 for p in parts)


def test_a_word_longer_than_a_post_is_cut_between_graphemes():
    rules = text.rules_for("bluesky")
    parts = text.split(rules, FAMILY * 400)
    assert all(text.fits(rules, p) for p in parts)
    assert "".join(parts) == FAMILY * 400


PIECES = list("abcdefghij日本語.!?") + [FAMILY, THUMB, E_ACUTE, "https://ex.com/p"]
words = st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(words, min_size=1, max_size=200), st.sampled_from(["x", "bluesky", "mastodon",
                                                                  "threads"]),
       st.booleans())
def test_every_part_fits_and_the_words_come_back(word_list, platform, numbering):
    rules = text.rules_for(platform)
    source = " ".join(word_list)
    parts = text.split(rules, source, numbering=numbering)
    assert all(text.fits(rules, p) for p in parts)
    if numbering and len(parts) > 1:
        parts = [p.rsplit("\n\n", 1)[0] for p in parts]
    joined = " ".join(parts)
    if all(text.fits(rules, w) for w in word_list):
        assert joined.split() == source.split()
    else:
        assert "".join(joined.split()) == "".join(source.split())


def test_plan_keeps_explicit_parts_and_respects_auto_thread_off():
    long = "word " * 100
    assert text.plan("x", {}, ["a", "b"], {}) == ["a", "b"]
    assert text.plan("x", {}, [long], {"auto_thread": False}) == [long.strip()]
    assert len(text.plan("x", {}, [long], {})) == 2


def test_preview_reports_each_part_against_the_limit():
    rows = text.preview("x", {}, parts=["short", "日" * 150])
    assert rows[0] == {"text": "short", "count": 5, "limit": 280, "unit": "characters",
                       "bytes": 5, "ok": True}
    assert rows[1]["count"] == 300 and rows[1]["ok"] is False
    assert len(text.preview("bluesky", {}, text="word " * 100)) == 2


def test_facets_use_utf8_byte_offsets():
    source = f"{FAMILY} see https://example.com and @alice.test #café"
    found, warnings = facets.detect(source, {"alice.test": "did:plc:alice"}.get)
    encoded = source.encode()
    spans = {f["features"][0]["$type"].rsplit("#", 1)[1]:
             encoded[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode() for f in found}
    assert spans == {"link": "https://example.com", "mention": "@alice.test", "tag": "#café"}
    assert warnings == []


def test_unresolvable_mention_is_skipped_with_a_warning():
    found, warnings = facets.detect("hi @ghost.example", lambda _h: None)
    assert found == []
    assert warnings == ["@ghost.example could not be resolved; it is posted as plain text"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.characters(exclude_categories=("Cs",)),
                          st.sampled_from(["https://example.com/a?b=c", "ex.com", " ", "\r\n",
                                           E_ACUTE, THUMB, FAMILY, "1\ufe0f\u20e3", "\u2764\ufe0f",
                                           "\u00a9", "日本", "\U0001F600"])),
                max_size=120).map("".join))
def test_x_count_agrees_with_twitter_text(sample):
    from twitter_text import parse_tweet

    assert x_length(sample) == parse_tweet(sample).weightedLength
