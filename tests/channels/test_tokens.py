"""Refreshing tokens ahead of time, as the worker's refresh job does."""

from __future__ import annotations

import time

import pytest

from app.channels import tokens
from app.platforms.errors import AuthRevoked
from tests.channels.jobs import client


def test_due_follows_each_platforms_lifetimes():
    now = time.time()
    assert tokens.due("x", {"expires_at": now + 60, "refresh_token": "r"}, now)
    assert not tokens.due("x", {"expires_at": now + 3600, "refresh_token": "r"}, now)
    assert not tokens.due("x", {"expires_at": now + 60}, now), "nothing to refresh with"
    assert tokens.due("threads", {"expires_at": now + 86_400}, now)
    assert not tokens.due("mastodon", {"access_token": "t"}, now), "Mastodon tokens never expire"


def test_x_refresh_rotates_and_saves_the_pair(platforms):
    p = platforms("x")
    saved = []
    with client() as http:
        tokens.refresh("x", http, p.credentials, p.settings, saved.append)
    assert saved[0]["refresh_token"] != p.credentials["refresh_token"]
    with client() as http, pytest.raises(AuthRevoked):
        tokens.refresh("x", http, p.credentials, p.settings, saved.append)  # single use


def test_threads_refresh_extends_a_day_old_token(platforms):
    p = platforms("threads")
    p.token_action("age", seconds=2 * 86_400)
    saved = []
    with client() as http:
        tokens.refresh("threads", http, {**p.credentials, "expires_at": time.time() + 86_400},
                       p.settings, saved.append)
    assert saved[0]["expires_at"] > time.time() + 50 * 86_400


def test_meta_long_lived_tokens_are_due_with_half_their_life_left():
    now = time.time()
    for platform in ("threads", "instagram"):
        assert tokens.due(platform, {"expires_at": now + 29 * 86_400}, now)
        assert not tokens.due(platform, {"expires_at": now + 31 * 86_400}, now)
        assert not tokens.due(platform, {"expires_at": now + 59.5 * 86_400}, now), "under a day old"


def test_an_expired_instagram_token_is_refused_and_asks_for_a_reconnect(platforms, monkeypatch):
    p = platforms("instagram")
    monkeypatch.setenv("OPENPOST_INSTAGRAM_API_URL", f"{p.sandbox.url}/instagram")
    p.token_action("age", seconds=2 * 86_400)
    p.token_action("expire")
    with client() as http, pytest.raises(AuthRevoked, match="reconnect"):
        tokens.refresh("instagram", http, {**p.credentials, "expires_at": time.time() - 1},
                       p.settings, lambda _c: None)
