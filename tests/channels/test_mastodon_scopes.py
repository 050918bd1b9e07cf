"""Mastodon: reading statuses needs read:statuses; a token granted without it settles a lost
attempt by re-sending with the same Idempotency-Key while Mastodon keeps it, else says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.platforms.errors import NetworkError, OutcomeUnknown
from app.platforms.registry import get_publisher
from tests.channels.accounts import Platform
from tests.channels.jobs import client, make_job

# What OpenPost asked for before it asked for read:statuses.
OLD_SCOPES = "read:accounts write:statuses write:media"


def _account(sandbox, http, scopes: str) -> Platform:
    made = http.post(f"{sandbox.url}/_control/accounts",
                     json={"platform": "mastodon", "scopes": scopes}).json()
    p = Platform.__new__(Platform)
    p.sandbox, p.name, p.http, p.account = sandbox, "mastodon", http, made
    p.settings = {"instance_url": f"{sandbox.url}/mastodon", "account_id": made["account_id"]}
    p.credentials, p.handle = {"access_token": made["access_token"]}, made["username"]
    return p


def _statuses(p):
    return p.http.get(f"{p.settings['instance_url']}/api/v1/accounts/{p.settings['account_id']}"
                      "/statuses", headers={"Authorization": f"Bearer {p.token}"})


def test_reading_statuses_needs_the_read_statuses_scope(sandbox, platforms):
    with_scope = _account(sandbox, platforms("mastodon").http, OLD_SCOPES + " read:statuses")
    assert _statuses(with_scope).status_code == 200
    without = _statuses(_account(sandbox, with_scope.http, OLD_SCOPES))
    assert without.status_code == 403
    assert without.json() == {"error": "This action is outside the authorized scopes"}


def _lost_attempt(p, scheduled_ago: timedelta):
    """A status created whose answer never came back, and the job that will settle it."""
    p.fault("create", "lost", delay=1.5)
    job, recorder = make_job("mastodon", p.settings, p.credentials, "Lost on the way back",
                             handle=p.handle)
    job.schedule_at = datetime.now(UTC) - scheduled_ago
    with client(0.5) as http, pytest.raises(NetworkError):
        get_publisher("mastodon", http).publish(job)
    again, _ = make_job("mastodon", p.settings, p.credentials, "Lost on the way back",
                        key=job.idempotency_key, recorder=recorder, handle=p.handle)
    again.schedule_at = job.schedule_at
    return again


def test_without_read_statuses_a_lost_post_settles_by_resending_the_same_key(sandbox,
                                                                           platforms):
    p = _account(sandbox, platforms("mastodon").http, OLD_SCOPES)
    job = _lost_attempt(p, timedelta(minutes=10))
    with client() as http:
        publisher = get_publisher("mastodon", http)
        assert publisher.reconcile(job) is None
        result = publisher.publish(job)
    [status] = [s for s in p.posts() if s["account"] == p.settings["account_id"]]
    assert result.provider_post_id == status["id"], "the status made by the lost attempt"


def test_without_read_statuses_an_old_lost_post_is_outcome_unknown(sandbox, platforms):
    p = _account(sandbox, platforms("mastodon").http, OLD_SCOPES)
    job = _lost_attempt(p, timedelta(hours=2))
    with client() as http, pytest.raises(OutcomeUnknown, match="reconnect"):
        get_publisher("mastodon", http).reconcile(job)
    assert len([s for s in p.posts() if s["account"] == p.settings["account_id"]]) == 1


def test_authorize_grants_only_scopes_the_app_registered(sandbox, platforms):
    http, base = platforms("mastodon").http, f"{sandbox.url}/mastodon"
    back = "http://localhost/channels/callback/mastodon"
    app = http.post(f"{base}/api/v1/apps", json={"client_name": "t", "redirect_uris": back}).json()
    asked = http.get(f"{base}/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": back, "response_type": "code",
        "scope": "read write:statuses", "state": "s1"})
    assert asked.status_code == 302 and "error=invalid_scope" in asked.headers["location"]


def test_the_account_and_media_status_need_their_scopes_too(sandbox, platforms):
    """GET verify_credentials needs profile or read:accounts, GET /api/v1/media/:id write:media
    (Mastodon OpenAPI security), and neither answers without a token."""
    p = _account(sandbox, platforms("mastodon").http, "write:statuses")
    base, auth = p.settings["instance_url"], {"Authorization": f"Bearer {p.token}"}
    me = p.http.get(f"{base}/api/v1/accounts/verify_credentials", headers=auth)
    assert me.status_code == 403
    assert me.json() == {"error": "This action is outside the authorized scopes"}
    assert p.http.get(f"{base}/api/v1/media/1", headers=auth).status_code == 403
    assert p.http.get(f"{base}/api/v1/media/1").status_code == 401
    granted = _account(sandbox, p.http, OLD_SCOPES + " read:statuses")
    ok = {"Authorization": f"Bearer {granted.token}"}
    assert p.http.get(f"{base}/api/v1/accounts/verify_credentials", headers=ok).status_code == 200
    assert p.http.get(f"{base}/api/v1/media/1", headers=ok).status_code == 404
