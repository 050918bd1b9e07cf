"""Rate limits held in PostgreSQL (429 + Retry-After) and request size limits (413)."""

import re

import sqlalchemy as sa

from app.ops.models import RateLimitBucket
from app.ops.ratelimit import Limit


def _login_attempt(client, email, password="wrong password!"):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token})


def test_login_attempts_are_limited_per_account(app, client, db, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE", Limit(3, 86400))
    user = make_user()
    for _ in range(3):
        assert _login_attempt(client, user.email).status_code == 401
    blocked = _login_attempt(client, user.email, "correct horse battery")
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 86400
    assert "Too many sign-in attempts" in blocked.get_data(as_text=True)
    assert client.get("/").status_code == 302  # the right password did not get through
    other = make_user()
    assert _login_attempt(client, other.email, "correct horse battery").status_code == 302


def test_the_count_lives_in_the_database(app, client, db, make_user, monkeypatch):
    """Another process sees the same count: it is a row, not process memory."""
    monkeypatch.setitem(app.config, "LOGIN_RATE", Limit(2, 86400))
    user = make_user()
    _login_attempt(client, user.email)
    row = db.scalar(sa.select(RateLimitBucket).where(
        RateLimitBucket.key == f"login:127.0.0.1:{user.email.lower()}"))
    assert row.count == 1
    row.count = 2  # as if two attempts had gone to another web process
    db.commit()
    assert _login_attempt(client, user.email).status_code == 429


def test_api_rate_limit_answers_429_in_the_envelope(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE", Limit(5, 86400))
    for _ in range(5):
        assert api.get("/posts").status_code == 200
    answer = api.get("/posts")
    assert answer.status_code == 429
    assert answer.json["error"]["code"] == "rate_limited"
    assert answer.json["error"]["request_id"] == answer.headers["x-op-request-id"]
    assert 0 < int(answer.headers["Retry-After"]) <= 86400


def test_api_limit_is_per_key(app, api, client, make_api_key, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE", Limit(2, 86400))
    for _ in range(3):
        api.get("/posts")
    assert api.get("/posts").status_code == 429
    other = make_api_key(api.workspace_id)
    assert client.get("/api/v1/posts", headers=other).status_code == 200


def test_body_over_the_limit_is_413(app, api, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    answer = api.post("/posts", data=b"x" * 5000, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and answer.json["error"]["code"] == "payload_too_large"
    make_user()
    page = client.post("/login", data={"email": "a@b.cd", "password": "p" * 5000})
    assert page.status_code == 413


def test_json_over_its_own_limit_is_413(app, api, workspace, make_channel, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_JSON_BYTES", 2048)
    channel = make_channel(workspace[0])
    answer = api.post("/posts", json={"channel_id": str(channel.id), "text": "y" * 3000})
    assert answer.status_code == 413 and answer.json["error"]["code"] == "payload_too_large"
    assert api.get("/posts").json["data"] == []


def test_the_sweep_never_resets_a_running_window(app, api, monkeypatch):
    from app.ops import ratelimit

    monkeypatch.setattr(ratelimit, "SWEEP_ONE_IN", 1)  # sweep on every request
    monkeypatch.setitem(app.config, "API_RATE", Limit(3, 86400))  # a day-long window
    for _ in range(3):
        assert api.get("/posts").status_code == 200
    assert api.get("/posts").status_code == 429
