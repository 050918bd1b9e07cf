"""The sandbox's bounds: fault numbers, body sizes, the request log, media fetches through the
guarded client, consent pages that return only to OpenPost, control routes on loopback only."""

from __future__ import annotations

import http.server
import threading
from urllib.parse import urlencode

import httpx
import pytest

from app.sandbox import create_sandbox
from app.sandbox.state import MAX_FAULTS, MAX_REQUESTS
from tests.conftest import login


def test_fault_delays_and_counts_are_capped(sandbox):
    def fault(**numbers):
        return httpx.post(f"{sandbox.url}/_control/faults",
                          json={"platform": "x", "op": "*", "kind": "timeout", **numbers})

    too_slow = fault(delay=3600)
    assert too_slow.status_code == 400 and "delay must be between 0.0 and 10.0" in too_slow.text
    assert fault(count=1_000_000).status_code == 400
    assert fault(count="many").json()["error"] == "count must be a number"
    assert fault(delay=1.5, count=3).status_code == 201
    assert sandbox.state.faults[0].delay == 1.5
    for _ in range(MAX_FAULTS - 1):
        assert fault().status_code == 201
    full = fault()
    assert full.status_code == 409 and f"at most {MAX_FAULTS} faults" in full.json()["error"]


@pytest.fixture
def signed_in(app, client, workspace, mounted_sandbox):
    login(client, workspace[1].email)
    return client


def test_a_delayed_sandbox_request_never_holds_a_second_web_thread(app, signed_in):
    """Inside the app one request at a time may wait out a fault; the next answers at once."""
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                     signed_in.get("/").get_data(as_text=True)).group(1)
    control = {"X-CSRFToken": csrf}
    made = signed_in.post("/sandbox/_control/accounts", json={"platform": "mastodon"},
                          headers=control).get_json()
    assert signed_in.post("/sandbox/_control/faults", headers=control, json={
        "platform": "mastodon", "op": "verify", "kind": "lost", "delay": 5, "count": 2}
    ).status_code == 201
    mounted = httpx.Client(transport=httpx.WSGITransport(app=app.wsgi_app),
                           base_url="http://localhost")
    auth = {"Authorization": f"Bearer {made['access_token']}"}
    verify = "/sandbox/mastodon/api/v1/accounts/verify_credentials"
    waiter = threading.Thread(target=lambda: mounted.get(verify, headers=auth))
    log = app.extensions["sandbox"].extensions["sandbox_state"].requests
    logged = len(log)
    waiter.start()
    while len(log) == logged:  # logged, so about to wait out its delay
        threading.Event().wait(0.01)
    threading.Event().wait(0.2)
    assert mounted.get(verify, headers=auth).status_code == 200
    assert waiter.is_alive(), "the second answered while the first still waited"
    waiter.join()


def test_a_40_mb_body_is_refused_before_it_is_kept(client, mounted_sandbox):
    sandbox = mounted_sandbox
    logged = len(sandbox.requests)
    big = b"x" * (40 * 1024 * 1024)
    answer = client.post("/sandbox/mastodon/api/v1/statuses", data=big,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert "up to 2097152 bytes" in answer.get_json()["error"]["message"]
    assert len(sandbox.requests) == logged
    # Media uploads have their own, larger cap: 3 MB gets past it (then needs a token).
    upload = client.post("/sandbox/mastodon/api/v2/media", data=b"x" * (3 * 1024 * 1024),
                         headers={"Content-Type": "application/octet-stream"})
    assert upload.status_code == 401


def test_the_request_log_keeps_only_the_newest():
    sandbox = create_sandbox()
    web = sandbox.test_client()
    for n in range(MAX_REQUESTS + 50):
        web.post("/mastodon/api/v1/statuses", data={"status": f"n{n}"})
    log = sandbox.extensions["sandbox_state"].requests
    assert len(log) == MAX_REQUESTS
    assert log[-1]["form"]["status"] == f"n{MAX_REQUESTS + 49}"


def test_consent_visits_do_not_pile_up_codes_and_accounts(monkeypatch):
    from app.sandbox import state as sandbox_state

    monkeypatch.setattr(sandbox_state, "MAX_CODES", 20)
    monkeypatch.setattr(sandbox_state, "MAX_ACCOUNTS", 30)
    sandbox = create_sandbox(callbacks=["http://localhost"])
    web = sandbox.test_client()
    for _ in range(60):
        visit = web.get("/linkedin/oauth/v2/authorization",
                        query_string={"redirect_uri": "http://localhost/channels/callback/linkedin"})
        assert visit.status_code == 302
    memory = sandbox.extensions["sandbox_state"]
    assert len(memory.codes) == 20 and len(memory.accounts["linkedin"]) == 30


def test_control_routes_of_the_standalone_sandbox_answer_only_loopback():
    sandbox = create_sandbox()
    remote, local = sandbox.test_client(), sandbox.test_client()
    remote.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    local.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    assert remote.get("/_control/requests").status_code == 403
    assert remote.post("/_control/accounts", json={"platform": "x"}).status_code == 403
    assert local.get("/_control/requests").status_code == 200


@pytest.fixture
def internal_target():
    """An HTTP server on loopback serving an image, counting who reached it."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"\x89PNG")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def _container_error(p, image_url: str) -> str:
    uid = p.settings["account_id"]
    made = httpx.post(f"{p.sandbox.url}/instagram/v21.0/{uid}/media",
                      data={"image_url": image_url, "access_token": p.credentials["access_token"]})
    assert made.status_code == 200, made.text
    return p.sandbox.state.bucket("instagram", "containers")[made.json()["id"]]["error"]


def test_media_fetches_never_reach_internal_addresses(social, internal_target, monkeypatch):
    base, hits = internal_target
    monkeypatch.delenv("OPENPOST_ALLOW_PRIVATE_HOSTS")
    p = social("instagram")
    p.configure(fetch_media=True)
    answered = _container_error(p, f"{base}/secret.png")
    refused = _container_error(p, "http://169.254.169.254/latest/meta-data/")
    closed = _container_error(p, "http://127.0.0.1:9/nothing.png")
    assert hits == [], "the internal server was never contacted"
    assert answered == refused == closed == "the media could not be fetched from the URL", \
        "the status never tells whether an internal host answered"


CONSENT = {  # platform -> (consent page, extra query)
    "x": ("/x/i/oauth2/authorize", {"code_challenge": "c", "code_challenge_method": "S256"}),
    "threads": ("/threads/oauth/authorize", {}),
    "instagram": ("/instagram/oauth/authorize", {}),
    "facebook": ("/facebook/dialog/oauth", {}),
    "linkedin": ("/linkedin/oauth/v2/authorization", {}),
    "tiktok": ("/tiktok/v2/auth/authorize/", {}),
}


@pytest.mark.parametrize("platform", sorted(CONSENT))
def test_consent_pages_return_only_to_openposts_callback(sandbox, platform):
    path, extra = CONSENT[platform]

    def consent(redirect_uri: str) -> httpx.Response:
        query = urlencode({"redirect_uri": redirect_uri, "state": "s", **extra})
        return httpx.get(f"{sandbox.url}{path}?{query}")

    codes = len(sandbox.state.codes)
    for foreign in ("https://evil.example/channels/callback/" + platform,
                    "http://localhost/elsewhere", f"http://localhost.evil.example/channels/"
                    f"callback/{platform}", "javascript:alert(1)"):
        refused = consent(foreign)
        assert refused.status_code == 400, foreign
        assert "redirect_uri is not registered" in refused.text
    assert len(sandbox.state.codes) == codes, "a refused consent changes nothing"
    back = consent(f"http://localhost/channels/callback/{platform}")
    assert back.status_code == 302
    assert back.headers["location"].startswith(f"http://localhost/channels/callback/{platform}?")


def test_a_mastodon_app_registered_with_a_foreign_callback_cannot_redirect(sandbox):
    app = httpx.post(f"{sandbox.url}/mastodon/api/v1/apps",
                     data={"client_name": "x", "redirect_uris": "https://evil.example/cb"}).json()
    answer = httpx.get(f"{sandbox.url}/mastodon/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": "https://evil.example/cb"})
    assert answer.status_code == 400
