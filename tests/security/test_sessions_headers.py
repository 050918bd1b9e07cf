"""Sessions end on logout and password change; headers keep pages out of caches and frames."""

import re

import pytest
from argon2 import PasswordHasher

from app.auth import passwords, service
from app.auth.models import User
from tests.conftest import login


def _csrf(client):
    page = client.get("/").get_data(as_text=True)
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def _cookie(client):
    return client.get_cookie("openpost_session").value


def test_a_copied_cookie_is_dead_after_logout(app, make_user):
    user = make_user()
    browser, thief = app.test_client(), app.test_client()
    login(browser, user.email)
    thief.set_cookie("openpost_session", _cookie(browser), domain="localhost")
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    assert browser.post("/logout", headers={"X-CSRFToken": _csrf(browser)}).status_code == 302
    assert thief.get("/").status_code == 302
    assert browser.get("/").status_code == 302


def test_a_copied_cookie_is_dead_after_a_password_change(app, db, make_user):
    user = make_user()
    browser, thief = app.test_client(), app.test_client()
    login(browser, user.email)
    thief.set_cookie("openpost_session", _cookie(browser), domain="localhost")
    passwords.change_password(db, user.id, "correct horse battery", "another long password")
    assert thief.get("/").status_code == 302
    assert browser.get("/").status_code == 302
    assert login(browser, user.email, "another long password").status_code == 302
    assert browser.get("/").status_code == 200


def test_password_is_rehashed_on_login_when_parameters_change(client, db, make_user):
    user = make_user()
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    user.password_hash = weak.hash("correct horse battery")
    db.commit()
    assert service.hasher.check_needs_rehash(user.password_hash)
    assert login(client, user.email).status_code == 302
    db.expire_all()
    stored = db.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$") and not service.hasher.check_needs_rehash(stored)
    service.hasher.verify(stored, "correct horse battery")


@pytest.mark.parametrize("path", ["/login", "/setup", "/", "/api/v1/posts", "/readyz"])
def test_sensitive_answers_are_not_cached(client, make_user, path):
    make_user()
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    assert client.get("/static/app.css").headers.get("Cache-Control") != "no-store"


def test_security_headers(client, make_user):
    make_user()
    headers = client.get("/login").headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in headers  # plain http: HSTS would be a lie


def test_hsts_and_secure_cookies_behind_https(app, client, make_user, monkeypatch):
    from app import config

    monkeypatch.setenv("OPENPOST_PUBLIC_URL", "https://posts.example.org")
    loaded = config.load()
    assert loaded["SESSION_COOKIE_SECURE"] and loaded["REMEMBER_COOKIE_SECURE"]
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://posts.example.org")
    make_user()
    assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example",
                                    "/\t/evil.example", "/\n/evil.example", "https:evil.example",
                                    "javascript:alert(1)", " //evil.example"])
def test_next_only_within_the_site(client, make_user, target):
    user = make_user()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/login", query_string={"next": target}, data={
        "email": user.email, "password": "correct horse battery", "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_next_within_the_site_is_followed(client, make_user):
    user = make_user()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/login", query_string={"next": "/ops/alarm?x=1"}, data={
        "email": user.email, "password": "correct horse battery", "csrf_token": token})
    assert answer.headers["Location"] == "/ops/alarm?x=1"
