"""One-click sandbox channels on all eight platforms, publishing to the mounted sandbox with no
OPENPOST_<PLATFORM>_API_URL; nothing of it shows where the sandbox is not mounted."""

from __future__ import annotations

import re
import threading
import uuid

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from app.channels.models import Channel
from app.config import PLATFORMS
from tests.conftest import login

NO_ENV = [f"OPENPOST_{p.upper()}_API_URL" for p in PLATFORMS] + ["OPENPOST_BLUESKY_VIDEO_URL"]


@pytest.fixture
def owner_client(client, workspace, monkeypatch):
    for name in NO_ENV:
        monkeypatch.delenv(name, raising=False)
    login(client, workspace[1].email)
    page = client.get("/channels").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client, token


def _connect(client, token, platform):
    return client.post("/channels/connect/sandbox", data={"csrf_token": token,
                                                          "platform": platform})


def test_the_channels_page_offers_the_sandbox_for_every_platform(owner_client):
    client, _token = owner_client
    page = client.get("/channels").get_data(as_text=True)
    offered = re.findall(r'name="platform" value="([a-z]+)">\s*<button[^>]*>Try with sandbox', page)
    assert sorted(offered) == sorted(PLATFORMS)
    for platform in ("x", "linkedin", "tiktok"):
        connect = client.get(f"/channels/connect/{platform}").get_data(as_text=True)
        assert f'name="platform" value="{platform}"' in connect and "Try with sandbox" in connect


@pytest.mark.parametrize("platform", PLATFORMS)
def test_one_click_connects_a_sandbox_channel(owner_client, app, db, workspace, platform):
    client, token = owner_client
    answer = _connect(client, token, platform)
    assert answer.status_code == 303 and "/connected" in answer.headers["Location"]
    channel = db.query(Channel).filter_by(workspace_id=workspace[0]).one()
    assert channel.platform == platform and channel.status == "connected"
    assert channel.settings["sandbox"] is True
    assert channel.credentials.get("access_token") or channel.credentials.get("app_password")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert channel.handle in page
    # The account is this workspace's on the sandbox (its controls show and reset only it).
    state = app.extensions["sandbox"].extensions["sandbox_state"]
    account = channel.settings.get("account_id") or channel.settings.get("did")
    assert state.owners.get(account) == str(workspace[0])


def test_an_unknown_platform_is_refused_by_name(owner_client, db, workspace):
    client, token = owner_client
    answer = _connect(client, token, "myspace")
    assert answer.status_code == 400
    assert "the sandbox has no &#39;myspace&#39;" in answer.get_data(as_text=True) or \
        "the sandbox has no 'myspace'" in answer.get_data(as_text=True)
    assert db.query(Channel).filter_by(workspace_id=workspace[0]).count() == 0


@pytest.fixture
def served_sandbox(app, monkeypatch):
    """The app's own mounted sandbox on a real port, and PUBLIC_URL naming that server."""
    wsgi = DispatcherMiddleware(NotFound(), {"/sandbox": app.extensions["sandbox"]})
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENPOST_PUBLIC_URL", f"http://127.0.0.1:{server.server_port}")
    yield app.extensions["sandbox"].extensions["sandbox_state"]
    server.shutdown()
    thread.join()


@pytest.mark.parametrize("platform", ["x", "threads", "facebook", "linkedin"])
def test_the_engine_publishes_a_sandbox_channel_to_the_sandbox(owner_client, served_sandbox,
                                                                db, engine, workspace,
                                                                platform, monkeypatch):
    from app.platforms.base import Part
    from app.posts import publishing
    from jobs.attempt import AttemptRunner
    from jobs.claims import ChannelInfo, Claim
    from jobs.config import EngineConfig

    client, token = owner_client
    assert _connect(client, token, platform).status_code == 303
    channel = db.query(Channel).filter_by(workspace_id=workspace[0]).one()
    text = f"hello from the sandbox {uuid.uuid4().hex[:6]}"
    claim = Claim(id=uuid.uuid4(), token=uuid.uuid4(), source="due", attempts=1,
                  channel_id=channel.id, schedule_at=None, idempotency_key=uuid.uuid4().hex,
                  options={}, results=[], parts=[Part(text)])
    info = ChannelInfo(id=channel.id, workspace_id=channel.workspace_id, platform=platform,
                       handle=channel.handle, status="connected", settings=channel.settings,
                       credentials=channel.credentials, needs_refresh=False)
    # The post is not committed (the test's transaction is rolled back): progress a publisher
    # saves midway (a Threads container, say) is kept as if its claim still held.
    monkeypatch.setattr(publishing, "save_part", lambda *_args: True)
    outcome = AttemptRunner(engine, EngineConfig()).run(claim, info)
    assert outcome.kind == "finish" and outcome.data["target"] == "published", outcome.data
    assert text in str(served_sandbox.posts.get(platform))


def test_tiktok_composer_asks_the_sandbox_for_creator_info(owner_client, served_sandbox, db,
                                                           workspace):
    client, token = owner_client
    assert _connect(client, token, "tiktok").status_code == 303
    channel = db.query(Channel).filter_by(workspace_id=workspace[0]).one()
    page = client.get(f"/compose?channel_id={channel.id}").get_data(as_text=True)
    assert "could not be asked" not in page and "PUBLIC_TO_EVERYONE" in page


def test_without_the_sandbox_nothing_offers_it(owner_client, app, monkeypatch, db, workspace):
    client, token = owner_client
    monkeypatch.delitem(app.extensions, "sandbox")
    page = client.get("/channels").get_data(as_text=True)
    assert "Try with sandbox" not in page and "sandbox" not in page.lower().split("<main")[1]
    for platform in ("x", "mastodon"):
        assert "Try with sandbox" not in client.get(f"/channels/connect/{platform}").get_data(
            as_text=True)
    assert _connect(client, token, "x").status_code == 404
    assert db.query(Channel).filter_by(workspace_id=workspace[0]).count() == 0


def test_members_see_no_sandbox_buttons(client, make_user, workspace):
    from app.auth.models import Workspace
    from app.db import session

    member = make_user(workspace=session.get(Workspace, workspace[0]).name, role="member")
    login(client, member.email)
    page = client.get("/channels").get_data(as_text=True)
    assert "Try with sandbox" not in page


def test_a_sandbox_x_channel_refreshes_its_token_at_the_sandbox(owner_client, served_sandbox,
                                                                db, workspace):
    from app.channels import tokens
    from app.config import sandbox_routes
    from app.platforms.http import make_client

    client, token = owner_client
    assert _connect(client, token, "x").status_code == 303
    channel = db.query(Channel).filter_by(workspace_id=workspace[0]).one()
    fresh: dict = {}
    with make_client() as http, sandbox_routes(channel.settings):
        tokens.refresh("x", http, channel.credentials, channel.settings, fresh.update)
    assert fresh["access_token"] != channel.credentials["access_token"]
    assert served_sandbox.token("x", fresh["access_token"]) is not None
