"""First run, sign in and out, CSRF, cookies, and workspace scoping in the browser session."""

import re

import pytest

from app.auth.models import User
from tests.conftest import login


def test_first_run_leads_to_setup_and_creates_owner(client, db):
    assert db.query(User).count() == 0
    first = client.get("/")
    assert first.status_code == 302 and first.headers["Location"].endswith("/setup")
    page = client.get("/setup").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = client.post("/setup", data={"csrf_token": token, "workspace": "Acme",
                                       "email": "owner@acme.test", "password": "long enough pw",
                                       "timezone": "Europe/Berlin"})
    assert done.status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and "Acme" in home.get_data(as_text=True)
    user = db.query(User).one()
    assert user.memberships[0].role == "owner"
    assert user.memberships[0].workspace.timezone == "Europe/Berlin"
    assert user.password_hash.startswith("$argon2id$")
    members = client.get("/settings/members").get_data(as_text=True)
    assert user.last_login_at is not None and ">never<" not in members, "setup signed them in"
    # Once someone exists, setup is closed.
    assert client.get("/setup").status_code == 302


@pytest.mark.parametrize("environ, headers", [
    ({"REMOTE_ADDR": "203.0.113.9"}, {}),  # a visitor on the deployment's public address
    ({"REMOTE_ADDR": "127.0.0.1"}, {"X-Forwarded-For": "203.0.113.9"}),  # through a proxy
])
def test_first_account_is_not_offered_to_the_world(client, db, environ, headers):
    """Until the first account exists, whoever completes /setup owns the deployment: only the
    server itself may, or the operator with `openpost user create`."""
    page = client.get("/setup", environ_base=environ, headers=headers)
    assert page.status_code == 403 and "openpost user create" in page.get_data(as_text=True)
    taken = client.post("/setup", environ_base=environ, headers=headers,
                        data={"workspace": "Mine", "email": "x@evil.test", "password": "long enough pw"})
    assert taken.status_code in (400, 403) and db.query(User).count() == 0


def test_setup_errors_are_shown_next_to_the_field(client, db):
    page = client.get("/setup").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/setup", data={"csrf_token": token, "workspace": "Acme",
                                         "email": "owner@acme.test", "password": "short"})
    assert answer.status_code == 422
    assert 'id="password-error"' in answer.get_data(as_text=True)
    assert db.query(User).count() == 0


def test_login_logout_and_wrong_password(client, make_user):
    user = make_user()
    wrong = login(client, user.email, "not the password")
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    ok = login(client, user.email.upper())
    assert ok.status_code == 302
    assert client.get("/").status_code == 200
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    client.post("/logout", headers={"X-CSRFToken": token})
    assert client.get("/").status_code == 302


def test_state_changing_request_without_csrf_is_refused(client, make_user):
    user = make_user()
    login(client, user.email)
    answer = client.post("/logout")
    assert answer.status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_login_form_without_csrf_is_refused(client, make_user):
    user = make_user()
    answer = client.post("/login", data={"email": user.email,
                                         "password": "correct horse battery"})
    assert answer.status_code == 400


def test_session_cookie_flags(client, make_user):
    user = make_user()
    answer = login(client, user.email)
    cookie = answer.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil"])
def test_next_never_leaves_the_site(client, make_user, target):
    user = make_user()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(f"/login?next={target}", data={
        "email": user.email, "password": "correct horse battery", "csrf_token": token})
    assert answer.headers["Location"] == "/"


def test_password_change_ends_other_sessions(app, db, make_user):
    from app.auth import passwords

    user = make_user()
    with app.test_client() as first:
        login(first, user.email)
        assert first.get("/").status_code == 200
        passwords.change_password(db, user.id, "correct horse battery", "a brand new password")
        assert first.get("/").status_code == 302


def test_every_response_has_a_request_id(client):
    for path in ("/login", "/setup", "/static/app.css", "/nope"):
        assert re.fullmatch(r"[0-9a-f]{32}", client.get(path).headers["x-op-request-id"])


def test_home_shows_only_own_workspace_posts(client, make_user, make_channel, db):
    from app.posts import service

    mine, theirs = make_user(), make_user()
    for user, text in ((mine, "my secret plan"), (theirs, "their secret plan")):
        ws = user.memberships[0].workspace_id
        service.create_post(db, ws, "test", channel_id=make_channel(ws).id, text=text)
    login(client, mine.email)
    page = client.get("/").get_data(as_text=True)
    assert "my secret plan" in page and "their secret plan" not in page
