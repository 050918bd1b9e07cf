"""Rate limits held in PostgreSQL (429 + Retry-After) and request size limits (413)."""

import re

import pytest
import sqlalchemy as sa

from app.ops.models import RateLimitBucket
from app.ops.ratelimit import Limit


@pytest.fixture(autouse=True)
def forget_refusals():
    """A process remembers refused keys until their window ends; the database rows these tests
    wrote are rolled back, so the memory goes too."""
    from app.ops import ratelimit

    yield
    ratelimit._held.clear()


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
        RateLimitBucket.key == f"login:account:{user.email.lower()}"))
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


@pytest.fixture
def quick_hashing(monkeypatch):
    """Cheap argon2 parameters: these tests count sign-in attempts, not hashing cost."""
    from argon2 import PasswordHasher

    from app.auth import service

    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(service, "hasher", cheap)
    monkeypatch.setattr(service, "_DUMMY_HASH", cheap.hash("not a password"))


def test_an_office_behind_one_address_is_not_locked_out(app, client, make_user, quick_hashing):
    """150 colleagues mistyping their passwords from one NAT address (the default limits)."""
    user = make_user()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for n in range(150):
        answer = client.post("/login", data={"email": f"colleague{n}@office.example",
                                             "password": "typo typo typo", "csrf_token": token})
        assert answer.status_code == 401, n
    assert _login_attempt(client, user.email, "correct horse battery").status_code == 302


def test_one_account_is_limited_whatever_address_guesses(app, client, make_user, quick_hashing):
    """The per-account limit (default 10 per 5 minutes) counts every address together."""
    user = make_user()
    for n in range(10):
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        assert _login_attempt(client, user.email).status_code == 401
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert _login_attempt(client, user.email, "correct horse battery").status_code == 429


@pytest.mark.parametrize("variant", ["bearer {}", "Bearer   {}", "BEARER {}", "  Bearer {}  ",
                                     "Bearer\t{}"])
def test_after_a_429_every_spelling_of_the_key_is_still_limited(app, client, workspace,
                                                                 make_api_key, monkeypatch,
                                                                 variant):
    monkeypatch.setitem(app.config, "API_RATE", Limit(3, 86400))
    headers = make_api_key(workspace[0])
    for _ in range(3):
        assert client.get("/api/v1/posts", headers=headers).status_code == 200
    assert client.get("/api/v1/posts", headers=headers).status_code == 429
    token = headers["Authorization"].split()[1]
    again = client.get("/api/v1/posts", headers={"Authorization": variant.format(token)})
    assert again.status_code == 429


def test_a_spelling_of_a_valid_key_is_that_key(api, client, workspace, make_api_key):
    token = make_api_key(workspace[0])["Authorization"].split()[1]
    for spelling in (f"bearer {token}", f"Bearer   {token}", f"Bearer\t{token}"):
        assert client.get("/api/v1/posts", headers={"Authorization": spelling}).status_code == 200


def test_invalid_keys_are_limited_per_address_with_one_counter(app, client, db, workspace,
                                                               make_api_key):
    """300 made-up keys from one address: refused with 429 once the address's allowance for
    requests without a valid key (default 60 a minute) is spent, on one counter row."""
    rows = sa.select(sa.func.count()).select_from(RateLimitBucket)
    before = db.scalar(rows)
    answers = [client.get("/api/v1/posts", headers={"Authorization": f"Bearer op_guess{n}"})
               .status_code for n in range(300)]
    assert set(answers[:60]) == {401}
    assert set(answers[60:]) == {429}
    assert db.scalar(rows) - before <= 1
    valid = make_api_key(workspace[0])  # a valid key from the same address is its own counter
    assert client.get("/api/v1/posts", headers=valid).status_code == 200
