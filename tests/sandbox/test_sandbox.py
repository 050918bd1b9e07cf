"""The sandbox itself: documented platform behaviour, the control endpoint, the CLI, the mount."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.platforms.polling import instant
from app.platforms.registry import get_publisher
from tests.channels.jobs import client, make_job

ROOT = Path(__file__).resolve().parents[2]


def test_control_endpoint_refuses_unknown_faults(sandbox):
    answer = httpx.post(f"{sandbox.url}/_control/faults",
                        json={"platform": "x", "op": "create", "kind": "meteor"})
    assert answer.status_code == 400 and "kind" in answer.json()["error"]


def test_mastodon_media_processing_is_polled_until_ready(platforms, db, workspace, sandbox):
    import io

    from PIL import Image

    from app.media.service import describe, upload

    p = platforms("mastodon")
    httpx.post(f"{sandbox.url}/_control/settings", json={"platform": "mastodon", "processing": True})
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20)).save(buffer, "PNG")
    media = describe(upload(db, workspace[0], "test", "a.png", buffer.getvalue()))
    job, _ = make_job("mastodon", p.settings, p.credentials, "with a picture", media=[media])
    with client() as http:
        publisher = get_publisher("mastodon", http)
        publisher.poller = instant()
        publisher.publish(job)
    # 202 on upload, then 206 twice while processing, then 200.
    assert len(p.requests("media_status")) == 3
    assert p.posts()[0]["media_ids"]


def test_bluesky_old_refresh_token_works_during_the_grace_window(platforms, sandbox):
    p = platforms("bluesky")
    url = f"{sandbox.url}/bluesky/xrpc/com.atproto.server.refreshSession"
    auth = {"Authorization": f"Bearer {p.credentials['refresh_jwt']}"}
    first = httpx.post(url, headers=auth)
    again = httpx.post(url, headers=auth)
    assert first.status_code == again.status_code == 200
    assert first.json()["refreshJwt"] != again.json()["refreshJwt"]
    assert httpx.post(url, headers={"Authorization": "Bearer garbage"}).json()["error"] == "InvalidToken"
    assert httpx.post(url).json()["error"] == "AuthMissing"


def test_bluesky_rkey_must_be_a_tid_and_repeats_are_a_500(platforms, sandbox):
    p = platforms("bluesky")
    url = f"{sandbox.url}/bluesky/xrpc/com.atproto.repo.createRecord"
    auth = {"Authorization": f"Bearer {p.credentials['access_jwt']}"}
    record = {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2026-01-01T00:00:00Z"}
    body = {"repo": p.account["did"], "collection": "app.bsky.feed.post", "record": record}
    bad = httpx.post(url, headers=auth, json={**body, "rkey": "not-a-tid"})
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidRequest"
    assert httpx.post(url, headers=auth, json={**body, "rkey": "3jzfcijpj2z2a"}).status_code == 200
    again = httpx.post(url, headers=auth, json={**body, "rkey": "3jzfcijpj2z2a"})
    assert again.status_code == 500 and again.json()["error"] == "InternalServerError"
    assert len(p.posts()) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_serves_the_sandbox_on_the_given_port():
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "sandbox", "--port", str(port)],  # noqa: S603
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/_control/accounts",
                                    json={"platform": "mastodon"})
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the sandbox did not start")
                time.sleep(0.2)
        assert answer.status_code == 201 and answer.json()["access_token"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_try_the_sandbox_connects_a_channel_that_publishes_through_the_mount(client_app, db):
    import re

    import sqlalchemy as sa

    from app.channels.models import Channel

    web, app = client_app
    page = web.get("/channels/connect/mastodon").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert "Try with sandbox" in page
    answer = web.post("/channels/connect/sandbox", data={"csrf_token": token, "platform": "mastodon"})
    assert answer.status_code == 303
    channel = db.scalars(sa.select(Channel)).one()
    assert channel.settings["instance_url"].endswith("/sandbox/mastodon")
    # The worker reaches the mounted sandbox over HTTP; here the app's WSGI stack stands in.
    mounted = httpx.Client(transport=httpx.WSGITransport(app=app.wsgi_app),
                           base_url=app.config["PUBLIC_URL"])
    job, _ = make_job("mastodon", channel.settings, channel.credentials, "Hello from the sandbox")
    result = get_publisher("mastodon", mounted).publish(job)
    assert "/sandbox/mastodon/@demo/" in result.live_url
    posts = app.extensions["sandbox"].extensions["sandbox_state"].posts["mastodon"]
    assert [p["text"] for p in posts] == ["Hello from the sandbox"]


@pytest.fixture
def client_app(app, client, workspace, mounted_sandbox):
    from tests.conftest import login

    login(client, workspace[1].email)
    return client, app
