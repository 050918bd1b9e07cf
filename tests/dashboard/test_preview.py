"""Preview counts: each platform's own rules and limit (a Mastodon instance may set its own)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.channels.preview import preview_for


def _channel(platform, **settings):
    return SimpleNamespace(platform=platform, settings=settings)


@pytest.mark.parametrize(("platform", "limit"), [
    ("x", 280), ("bluesky", 300), ("mastodon", 500), ("threads", 500), ("instagram", 2200),
    ("facebook", 63206), ("linkedin", 3000), ("tiktok", 2200)])
def test_each_platform_has_its_limit(platform, limit):
    """Over the limit with automatic threads off (with them on, X and others split instead)."""
    (at_limit,) = preview_for(_channel(platform), "a" * limit, {})
    (over,) = preview_for(_channel(platform), "a" * (limit + 1), {"auto_thread": False})
    assert (at_limit["count"], at_limit["limit"], at_limit["ok"]) == (limit, limit, True)
    assert (over["count"], over["ok"]) == (limit + 1, False)


def test_graphemes_not_code_points_and_parts_in_either_shape():
    family = "👨‍👩‍👧‍👦"  # seven code points, one grapheme
    assert preview_for(_channel("bluesky"), family + "é", {})[0]["count"] == 2
    parts = preview_for(_channel("x"), [{"text": "one"}, "three"], {})
    assert [(p["text"], p["count"]) for p in parts] == [("one", 3), ("three", 5)]
    assert preview_for(_channel("x"), [""], {})[0]["ok"] is False


def test_mastodon_instance_limit_wins_when_announced():
    assert preview_for(_channel("mastodon", max_characters=5000), "hi", {})[0]["limit"] == 5000
    assert preview_for(_channel("mastodon", max_characters="lots"), "hi", {})[0]["limit"] == 500
