"""Numbers a platform sends (rate-limit resets, token lifetimes) cannot crash a publish or a
connect: a huge, negative or malformed value is held to sane bounds."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.channels import oauth, tokens
from app.platforms import errors
from app.platforms.registry import get_publisher
from jobs.config import EngineConfig
from jobs.retry import decide
from tests.channels.jobs import make_job

HUGE = "9" * 40
YEAR = 365 * 86_400


def _mock(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("headers", [
    {"x-rate-limit-reset": HUGE},                        # epoch seconds past year 9999
    {"x-rate-limit-reset": "99999999999"},               # year 5138: fits, but absurd
    {"retry-after": HUGE},                               # delta seconds past any date
    {"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"},
    {"x-ratelimit-reset": "9999-12-31T23:59:59"},
])
def test_a_huge_rate_limit_reset_fails_the_post_with_a_message(headers):
    def throttled(request):
        return httpx.Response(429, headers=headers, json={"title": "Too Many Requests"})

    job, _ = make_job("x", {"account_id": "1"}, {"access_token": "t"}, "Hello")
    before = datetime.now(UTC)
    with _mock(throttled) as http, pytest.raises(errors.RateLimited) as caught:
        get_publisher("x", http).publish(job)
    assert before <= caught.value.retry_at <= datetime.now(UTC) + timedelta(hours=24)
    decision = decide(caught.value, 1, datetime.now(UTC), EngineConfig())
    assert (decision.retry, decision.code) == (False, "rate_limited")  # beyond the window
    assert "Too Many Requests" in decision.message


def _x_sign_in(expires_in) -> httpx.Client:
    def platform(request):
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, content=json.dumps(
                {"access_token": "a", "refresh_token": "r", "expires_in": expires_in}))
        return httpx.Response(200, json={"data": {"id": "1", "username": "someone"}})
    return _mock(platform)


@pytest.mark.parametrize("expires_in, lasts", [
    (10**40, YEAR), ("1e400", YEAR), (-3600, 0), (None, 7200), ("soon", 7200)])
def test_a_connect_with_any_token_lifetime_stores_one_within_a_year(monkeypatch, expires_in,
                                                                    lasts):
    monkeypatch.setenv("OPENPOST_X_CLIENT_ID", "client")
    raw = expires_in if expires_in != "1e400" else json.loads("1e400")  # infinity, as parsed
    pending = {"platform": "x", "state": "s", "redirect_uri": "https://h/cb", "verifier": "v"}
    with _x_sign_in(raw) as http:
        verified = oauth.finish(http, "x", pending, {"state": "s", "code": "c"})
    expected = datetime.now(UTC) + timedelta(seconds=lasts)
    assert abs(verified.token_expires_at - expected) < timedelta(seconds=5)
    assert verified.handle == "someone"


def test_a_refresh_answering_a_huge_lifetime_saves_a_token_within_a_year():
    saved = []
    with _x_sign_in(10**40) as http:
        tokens.refresh("x", http, {"access_token": "old", "refresh_token": "r",
                                   "expires_at": time.time()}, {}, saved.append)
    assert time.time() < saved[0]["expires_at"] <= time.time() + YEAR
