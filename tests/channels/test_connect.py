"""Connecting channels: credentials checked with the platform, OAuth with state and PKCE."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from app.channels.models import Channel
from tests.conftest import login


def count(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Channel))


def test_api_connects_bluesky_after_a_session_check(api, db, platforms):
    p = platforms("bluesky")
    answer = api.post("/channels", json={"platform": "bluesky", "handle": p.handle,
                                         "app_password": p.account["password"],
                                         "pds_url": p.settings["pds_url"]})
    assert answer.status_code == 201, answer.get_json()
    stored = db.get(Channel, __import__("uuid").UUID(answer.get_json()["id"]))
    assert stored.handle == p.handle and stored.settings["did"] == p.account["did"]
    assert stored.credentials["refresh_jwt"]


def test_api_wrong_app_password_is_a_clear_422_and_stores_nothing(api, db, platforms):
    p = platforms("bluesky")
    answer = api.post("/channels", json={"platform": "bluesky", "handle": p.handle,
                                         "app_password": "wrong", "pds_url": p.settings["pds_url"]})
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["field"] == "app_password"
    assert "Invalid identifier or password" in error["message"]
    assert count(db) == 0


def test_api_refused_mastodon_token_is_a_422(api, db, sandbox):
    answer = api.post("/channels", json={"platform": "mastodon", "access_token": "nope",
                                         "instance_url": f"{sandbox.url}/mastodon"})
    assert answer.status_code == 422
    assert "The access token is invalid" in answer.get_json()["error"]["message"]
    assert count(db) == 0


def test_api_mastodon_channel_keeps_the_instances_video_limits(api, db, platforms):
    p = platforms("mastodon")
    answer = api.post("/channels", json={"platform": "mastodon", "access_token": p.token,
                                         "instance_url": p.settings["instance_url"]})
    assert answer.status_code == 201, answer.get_json()
    stored = db.get(Channel, __import__("uuid").UUID(answer.get_json()["id"]))
    # configuration.media_attachments of GET /api/v2/instance: what scheduling checks videos by.
    assert stored.settings["video_size_limit"] == 99 * 1024 * 1024
    assert "video/mp4" in stored.settings["supported_mime_types"]


def test_private_instance_is_refused_unless_allowed(api, db, monkeypatch):
    monkeypatch.delenv("OPENPOST_ALLOW_PRIVATE_HOSTS")
    answer = api.post("/channels", json={"platform": "mastodon", "access_token": "t",
                                         "instance_url": "https://127.0.0.1:9/"})
    assert answer.status_code == 422
    assert "private address" in answer.get_json()["error"]["message"]


@pytest.fixture
def owner(client, workspace):
    login(client, workspace[1].email)
    return client


def _csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _follow_platform(location: str) -> tuple[str, dict]:
    """Play the browser at the platform: its consent page sends us back with a code."""
    answer = httpx.get(location, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    return back.path, {k: v[0] for k, v in parse_qs(back.query).items()}


@pytest.mark.parametrize("platform", ["x", "threads", "mastodon"])
def test_oauth_connects_with_state_and_pkce(owner, db, platforms, monkeypatch, sandbox, platform):
    platforms("x")  # points the X and Threads API URLs at the sandbox
    monkeypatch.setenv(f"OPENPOST_{platform.upper()}_CLIENT_ID", "client-1")
    token = _csrf(owner, f"/channels/connect/{platform}")
    form = {"csrf_token": token, "instance_url": f"{sandbox.url}/mastodon"}
    started = owner.post(f"/channels/connect/{platform}", data=form)
    assert started.status_code == 302
    query = parse_qs(urlsplit(started.location).query)
    if platform != "threads":
        assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    else:  # a lost reply is found through the replies list, which needs this permission
        assert "threads_read_replies" in query["scope"][0].split(",")
    path, args = _follow_platform(started.location)
    assert path == f"/channels/callback/{platform}"
    done = owner.get(path, query_string=args, follow_redirects=True)
    assert done.status_code == 200, done.get_data(as_text=True)
    channel = db.scalars(sa.select(Channel)).one()
    assert channel.platform == platform and channel.credentials["access_token"]
    if platform == "x":
        assert channel.credentials["refresh_token"] and channel.token_expires_at is not None
    if platform == "mastodon":
        assert channel.settings["max_characters"] == 500
        # The grant lets a lost attempt be settled by reading the account's statuses.
        statuses = httpx.get(f"{sandbox.url}/mastodon/api/v1/accounts/"
                             f"{channel.settings['account_id']}/statuses",
                             headers={"Authorization": f"Bearer {channel.credentials['access_token']}"})
        assert statuses.status_code == 200, statuses.text


def test_callback_with_a_wrong_state_is_refused(owner, db, platforms, monkeypatch):
    platforms("x")
    monkeypatch.setenv("OPENPOST_X_CLIENT_ID", "client-1")
    started = owner.post("/channels/connect/x", data={"csrf_token": _csrf(owner, "/channels/connect/x")})
    with owner.session_transaction() as browser_session:
        assert "verifier" not in str(dict(browser_session)), "the PKCE verifier is not readable"
    path, args = _follow_platform(started.location)
    refused = owner.get(path, query_string={**args, "state": "forged"})
    assert refused.status_code == 400
    assert "did not start here" in refused.get_data(as_text=True)
    # The pending sign-in is used up: even the right state no longer works.
    assert owner.get(path, query_string=args).status_code == 400
    assert count(db) == 0


def test_callback_without_a_started_flow_is_refused(owner, db):
    refused = owner.get("/channels/callback/x", query_string={"state": "s", "code": "c"})
    assert refused.status_code == 400
    assert count(db) == 0


def test_bluesky_form_connects_and_a_wrong_password_is_shown(owner, db, platforms):
    p = platforms("bluesky")
    token = _csrf(owner, "/channels/connect/bluesky")
    bad = owner.post("/channels/connect/bluesky", data={
        "csrf_token": token, "handle": p.handle, "app_password": "wrong",
        "pds_url": p.settings["pds_url"]})
    assert bad.status_code == 422 and "refused this handle" in bad.get_data(as_text=True)
    good = owner.post("/channels/connect/bluesky", data={
        "csrf_token": token, "handle": p.handle, "app_password": p.account["password"],
        "pds_url": p.settings["pds_url"]}, follow_redirects=True)
    assert good.status_code == 200 and p.handle in good.get_data(as_text=True)
    assert count(db) == 1


def test_platforms_without_a_publisher_cannot_be_connected_yet(owner):
    answer = owner.get("/channels/connect/youtube")
    assert answer.status_code == 404


def test_oauth_reconnect_carries_its_channel_through_the_sign_in(owner, db, platforms,
                                                                  monkeypatch):
    """The sandbox's X consent makes a new account each time: a Reconnect that comes back from
    X as another account is refused at the callback, naming both, and changes nothing."""
    platforms("x")
    monkeypatch.setenv("OPENPOST_X_CLIENT_ID", "client-1")

    def sign_in(reconnect=None):
        form = {"csrf_token": _csrf(owner, "/channels/connect/x")}
        if reconnect:
            form["reconnect"] = str(reconnect)
        path, args = _follow_platform(owner.post("/channels/connect/x", data=form).location)
        return owner.get(path, query_string=args)

    first = sign_in()
    channel = db.scalars(sa.select(Channel)).one()
    assert first.location == f"/channels/{channel.id}/connected"
    owner.post(f"/channels/{channel.id}/disconnect", data={"csrf_token": _csrf(owner, "/channels")})
    refused = sign_in(reconnect=channel.id)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert re.search(rf"this Reconnect is for {channel.handle} \(account "
                     rf"{channel.settings['account_id']}\), but you signed in as {channel.handle} "
                     r"\(account \w+\)", text)
    assert f'name="reconnect" value="{channel.id}"' in text, "the form still reconnects it"
    db.expire_all()
    assert db.scalars(sa.select(Channel)).one().status == "disconnected"
