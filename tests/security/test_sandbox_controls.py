"""The sandbox mounted in the app: its control routes are for a signed-in workspace owner or
admin, show and change only that workspace's sandbox, and its log never shows a token."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.conftest import login


def _signed_in(app, make_user, role="owner", workspace=None):
    """A browser signed in as a new user, with the CSRF token of its session."""
    user = make_user(role=role, workspace=workspace)
    workspace_id = str(user.memberships[0].workspace_id)
    web = app.test_client()
    login(web, user.email)
    page = web.get("/").get_data(as_text=True)
    web.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    web.workspace = workspace_id
    return web


def _connect_sandbox(web) -> None:
    done = web.post("/channels/connect/sandbox", data={"csrf_token": web.csrf,
                                                       "platform": "mastodon"})
    assert done.status_code == 303, done.get_data(as_text=True)


def _publish(app, token: str, text: str) -> int:
    """Post a status to the mounted Mastodon fake, as the worker would over HTTP."""
    mounted = httpx.Client(transport=httpx.WSGITransport(app=app.wsgi_app),
                           base_url="http://localhost")
    return mounted.post("/sandbox/mastodon/api/v1/statuses", data={"status": text},
                        headers={"Authorization": f"Bearer {token}"}).status_code


def _control(web, method: str, path: str, **kw):
    headers = {"X-CSRFToken": web.csrf} if method == "post" else {}
    return getattr(web, method)(f"/sandbox/_control/{path}", headers=headers, **kw)


@pytest.fixture
def two_admins(app, db, make_user):
    return _signed_in(app, make_user), _signed_in(app, make_user)


def test_anonymous_visitors_get_nothing(client):
    for path in ("requests", "posts"):
        answer = client.get(f"/sandbox/_control/{path}")
        assert answer.status_code == 401, path
        assert "sign in" in answer.get_json()["error"]["message"]
    for path in ("reset", "faults", "accounts", "settings", "tokens"):
        assert client.post(f"/sandbox/_control/{path}", json={"platform": "x"}).status_code \
            == 401, path


def test_a_member_who_is_not_an_admin_is_refused(app, db, make_user):
    owner = make_user()
    member = _signed_in(app, make_user, role="member",
                        workspace=owner.memberships[0].workspace.name)
    assert _control(member, "get", "requests").status_code == 403
    assert _control(member, "post", "reset").status_code == 403


def test_a_change_needs_the_sessions_csrf_token(two_admins):
    admin, _other = two_admins
    refused = admin.post("/sandbox/_control/reset")
    assert refused.status_code == 400
    assert _control(admin, "post", "reset").status_code == 200


def test_each_workspace_sees_and_resets_only_its_own_sandbox(app, db, two_admins):
    a, b = two_admins
    _connect_sandbox(a)
    from app.channels.models import Channel

    channel = db.query(Channel).filter(Channel.handle == "@demo@sandbox").one()
    token = channel.credentials["access_token"]
    assert _publish(app, token, "Only for workspace A") == 200
    made = _control(b, "post", "accounts", json={"platform": "mastodon"}).get_json()
    assert _publish(app, made["access_token"], "Only for workspace B") == 200

    a_log = _control(a, "get", "requests", query_string={"platform": "mastodon"}).get_json()
    b_log = _control(b, "get", "requests", query_string={"platform": "mastodon"}).get_json()
    assert [r["form"]["status"] for r in a_log["data"]] == ["Only for workspace A"]
    assert [r["form"]["status"] for r in b_log["data"]] == ["Only for workspace B"]
    a_posts = _control(a, "get", "posts", query_string={"platform": "mastodon"}).get_json()
    assert [p["text"] for p in a_posts["data"]] == ["Only for workspace A"]
    # B cannot touch A's token, and B's reset leaves A's channel working.
    assert _control(b, "post", "tokens", json={"token": token, "action": "revoke"}) \
        .status_code == 404
    assert _control(b, "post", "reset").status_code == 200
    assert _publish(app, token, "A still publishes") == 200
    assert _publish(app, made["access_token"], "B was reset") == 401
    assert _control(b, "get", "posts").get_json()["data"].get("mastodon") == []


def test_a_workspaces_faults_hit_only_its_own_accounts(app, db, two_admins):
    a, b = two_admins
    a_made = _control(a, "post", "accounts", json={"platform": "mastodon"}).get_json()
    b_made = _control(b, "post", "accounts", json={"platform": "mastodon"}).get_json()
    fault = {"platform": "mastodon", "op": "*", "kind": "5xx", "count": 5}
    assert _control(b, "post", "faults", json=fault).status_code == 201
    assert _publish(app, a_made["access_token"], "A is not B's to break") == 200
    assert _publish(app, b_made["access_token"], "B broke its own") >= 500


def test_the_request_log_never_shows_a_token_or_password(app, db, two_admins):
    a, _b = two_admins
    made = _control(a, "post", "accounts", json={"platform": "mastodon"}).get_json()
    _publish(app, made["access_token"], "hello")
    bsky = _control(a, "post", "accounts", json={"platform": "bluesky", "handle": "a.test",
                                                  "password": "app-pass-1234-5678"}).get_json()
    mounted = httpx.Client(transport=httpx.WSGITransport(app=app.wsgi_app),
                           base_url="http://localhost")
    mounted.post("/sandbox/bluesky/xrpc/com.atproto.server.createSession",
                 json={"identifier": bsky["handle"], "password": bsky["password"]})
    shown = json.dumps(_control(a, "get", "requests").get_json())
    assert "createSession" in shown or "session" in shown
    assert made["access_token"] not in shown and bsky["password"] not in shown
    assert made["access_token"][-4:] in shown, "masked, yet tokens can be told apart"


def test_a_consent_given_while_signed_in_makes_that_workspaces_account(app, db, two_admins):
    from urllib.parse import parse_qs, urlsplit

    from app.platforms.signin import pkce_pair

    a, b = two_admins
    verifier, challenge = pkce_pair()
    callback = "http://localhost/channels/callback/x"
    consent = a.get("/sandbox/x/i/oauth2/authorize", query_string={
        "redirect_uri": callback, "state": "s", "code_challenge": challenge,
        "code_challenge_method": "S256"})
    assert consent.status_code == 302
    code = parse_qs(urlsplit(consent.location).query)["code"][0]
    mounted = httpx.Client(transport=httpx.WSGITransport(app=app.wsgi_app),
                           base_url="http://localhost")
    tokens = mounted.post("/sandbox/x/2/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": callback})
    assert tokens.status_code == 200
    assert [r["op"] for r in _control(a, "get", "requests",
                                      query_string={"platform": "x"}).get_json()["data"]] \
        == ["token"]
    assert _control(b, "get", "requests", query_string={"platform": "x"}).get_json()["data"] \
        == []
