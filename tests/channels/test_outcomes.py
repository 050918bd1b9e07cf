"""Platform response -> publish outcome, per platform, over real HTTP against the sandbox."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from app.platforms import errors
from app.platforms.registry import get_publisher
from app.sandbox.core import mask
from tests.channels.jobs import client, make_job

CREATE_OP = {"x": "create", "bluesky": "create", "mastodon": "create", "threads": "container"}
LONG = "word " * 130  # over every limit here (X 280, Bluesky 300, Mastodon and Threads 500)
TOO_LONG_MESSAGE = {
    "x": "Text is too long or empty",
    "bluesky": "must not be longer than 300 graphemes",
    "mastodon": "Text character limit of 500 exceeded",
    "threads": "Param text must be at most 500 characters long",
}


def publish(p, text="Hello from the tests", timeout=5.0, **kw):
    job, recorder = make_job(p.name, p.settings, p.credentials, text, handle=p.handle, **kw)
    with client(timeout) as http:
        return get_publisher(p.name, http).publish(job), recorder


@pytest.mark.parametrize("name", ["x", "bluesky"])
def test_expired_token_is_refreshed_once_and_the_new_pair_saved(platforms, name):
    p = platforms(name)
    p.token_action("expire")
    result, recorder = publish(p)
    assert len(p.posts()) == 1
    assert result.provider_post_id
    assert len(recorder.credentials) == 1, "one refresh, saved before use"
    new = recorder.credentials[0]
    if name == "x":
        assert new["refresh_token"] != p.credentials["refresh_token"]
        # Single-use: the old refresh token is dead now.
        refused = p.http.post(f"{p.sandbox.url}/x/2/oauth2/token",
                              data={"grant_type": "refresh_token",
                                    "refresh_token": p.credentials["refresh_token"]})
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    else:
        assert new["access_jwt"] != p.credentials["access_jwt"]


def test_threads_token_near_expiry_is_refreshed_before_posting(platforms):
    p = platforms("threads")
    p.token_action("age", seconds=50 * 86_400)
    p.credentials["expires_at"] = int(time.time()) + 3 * 86_400
    _result, recorder = publish(p)
    assert len(recorder.credentials) == 1
    assert recorder.credentials[0]["access_token"] != p.credentials["access_token"]
    assert recorder.credentials[0]["expires_at"] > time.time() + 50 * 86_400


def test_expired_bluesky_refresh_token_falls_back_to_the_app_password(platforms):
    p = platforms("bluesky")
    p.token_action("expire")
    p.token_action("expire", token=p.credentials["refresh_jwt"])
    publish(p)
    assert len(p.posts()) == 1


@pytest.mark.parametrize("name", ["x", "bluesky", "mastodon", "threads"])
def test_revoked_access_disconnects_the_channel(platforms, name):
    p = platforms(name)
    if name == "bluesky":
        # A revoked app password: the session cannot be renewed either.
        p.credentials["app_password"] = "revoked-app-password"
    p.fault(CREATE_OP[name], "revoke")
    with pytest.raises(errors.AuthRevoked) as caught:
        publish(p)
    assert caught.value.code == "channel_disconnected"
    assert p.posts() == []


@pytest.mark.parametrize("name", ["x", "bluesky", "mastodon"])
def test_rate_limit_carries_the_platforms_reset_time(platforms, name):
    p = platforms(name)
    p.fault(CREATE_OP[name], "429", reset_in=600)
    with pytest.raises(errors.RateLimited) as caught:
        publish(p)
    expected = datetime.now(UTC) + timedelta(seconds=600)
    assert abs((caught.value.retry_at - expected).total_seconds()) < 5
    assert p.posts() == []


def test_threads_throttling_code_is_a_rate_limit(platforms):
    p = platforms("threads")
    p.fault("container", "429")
    with pytest.raises(errors.RateLimited) as caught:
        publish(p)
    assert caught.value.retry_at > datetime.now(UTC) + timedelta(minutes=10)
    assert "request limit" in caught.value.message


@pytest.mark.parametrize("name", ["x", "bluesky", "mastodon", "threads"])
def test_server_error_is_retryable_and_posts_nothing(platforms, name):
    p = platforms(name)
    p.fault(CREATE_OP[name], "5xx")
    with pytest.raises(errors.PlatformUnavailable) as caught:
        publish(p)
    assert isinstance(caught.value, errors.RetryableError)
    assert p.posts() == []


@pytest.mark.parametrize("name", ["x", "bluesky", "mastodon", "threads"])
def test_refused_content_fails_now_with_the_platforms_message(platforms, name):
    p = platforms(name)
    with pytest.raises(errors.PermanentError) as caught:
        publish(p, LONG, options={"auto_thread": False})
    assert TOO_LONG_MESSAGE[name] in caught.value.message
    assert caught.value.code == "validation_error"
    assert p.posts() == []


def test_x_duplicate_on_a_retry_is_an_unknown_outcome(platforms):
    p = platforms("x")
    publish(p, "same words")
    with pytest.raises(errors.OutcomeUnknown):
        publish(p, "same words", attempt=2)
    assert len(p.posts()) == 1


@pytest.mark.parametrize("name", ["x", "bluesky", "mastodon", "threads"])
def test_unreachable_platform_is_a_network_error(platforms, name, monkeypatch):
    p = platforms(name)
    dead = "http://127.0.0.1:9"
    monkeypatch.setenv("OPENPOST_X_API_URL", dead)
    monkeypatch.setenv("OPENPOST_THREADS_API_URL", dead)
    p.settings = {**p.settings, "pds_url": dead, "instance_url": dead}
    with pytest.raises(errors.NetworkError) as caught:
        publish(p)
    assert caught.value.sent is False


@pytest.mark.parametrize("name, error", [
    ("x", errors.OutcomeUnknown),  # no idempotency on X: a post may exist
    ("bluesky", errors.NetworkError),  # getRecord says it does not: retry with the same key
    ("mastodon", errors.NetworkError),  # the same Idempotency-Key makes the retry safe
    ("threads", errors.NetworkError),  # only a container may exist, never a post
])
def test_a_platform_that_does_not_answer_in_time(platforms, name, error):
    p = platforms(name)
    p.fault(CREATE_OP[name], "timeout", delay=1.5)
    with pytest.raises(error):
        publish(p, timeout=0.5)
    assert p.posts() == []


def test_threads_token_past_its_expiry_disconnects_without_a_call(platforms):
    p = platforms("threads")
    p.credentials["expires_at"] = int(time.time()) - 60
    with pytest.raises(errors.AuthRevoked, match="expired"):
        publish(p)
    assert p.requests() == []


def test_x_new_token_pair_is_saved_before_it_is_used(platforms):
    p = platforms("x")
    p.token_action("expire")
    seen_at_save: list[bool] = []
    job, recorder = make_job("x", p.settings, p.credentials, "saved first", handle=p.handle)

    def save(creds):
        used = any(r["headers"].get("authorization") == f"Bearer {mask(creds['access_token'])}"
                   for r in p.requests())
        seen_at_save.append(used)
        recorder.save_credentials(creds)

    job.save_credentials = save
    with client() as http:
        get_publisher("x", http).publish(job)
    assert seen_at_save == [False]
    # The sandbox's log masks tokens, keeping enough to tell them apart.
    assert any(r["headers"].get("authorization")
               == f"Bearer {mask(recorder.credentials[0]['access_token'])}"
               for r in p.requests("create"))


def test_x_dead_refresh_token_disconnects(platforms):
    p = platforms("x")
    p.token_action("expire")
    # Somebody else already rotated it: single use means it is dead now.
    p.http.post(f"{p.sandbox.url}/x/2/oauth2/token",
                data={"grant_type": "refresh_token", "refresh_token": p.credentials["refresh_token"]})
    with pytest.raises(errors.AuthRevoked, match="refresh token was refused"):
        publish(p)
    assert p.posts() == []


def test_bluesky_record_keys_are_valid_tids_stable_per_key_and_part():
    import re

    from app.platforms.bluesky.publisher import tid

    when = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    keys = [tid("post-key", i, when) for i in range(3)]
    assert all(re.fullmatch(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}", k) for k in keys)
    assert keys == [tid("post-key", i, when) for i in range(3)]
    assert len(set(keys)) == 3 and keys == sorted(keys)
    assert tid("other-key", 0, when) != keys[0]


def test_bluesky_channel_with_only_an_app_password_logs_in_first(platforms):
    p = platforms("bluesky")
    p.credentials = {"identifier": p.handle, "app_password": p.account["password"]}
    p.settings = {"pds_url": p.settings["pds_url"]}
    result, recorder = publish(p)
    assert p.posts()[0]["id"] == result.provider_post_id
    assert recorder.credentials[0]["did"] == p.account["did"]
