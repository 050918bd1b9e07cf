"""Structured logs: request id and post context on every line, and no secret ever written."""

import io
import json
import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from app import logs
from tests.conftest import login

SECRETS = ["tok-9f8e7d6c5b4a-access", "ref-1a2b3c4d5e6f-refresh", "abcd-efgh-ijkl-mnop",
           "correct horse battery", "hunter2hunter2", "S3cr3tDbPass"]


@pytest.fixture
def captured():
    """Everything the root logger writes, through the production handler, as JSON lines."""
    stream = io.StringIO()
    handler = logs.make_handler(stream, fmt="json")
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        logging.getLogger("fake-platform").info("request " + (args[0] % args[1:]))


def test_a_flow_full_of_secrets_leaves_none_in_the_logs(captured, api, client, make_user,
                                                        sandbox):
    log = logging.getLogger("openpost.test")
    created = api.post("/channels", json={"platform": "x", "access_token": SECRETS[0],
                                          "refresh_token": SECRETS[1], "account_id": "42"})
    assert created.status_code == 201
    account = httpx.post(f"{sandbox.url}/_control/accounts",
                         json={"platform": "bluesky", "password": SECRETS[2]}).json()
    bluesky = api.post("/channels", json={"platform": "bluesky", "handle": account["handle"],
                                          "app_password": SECRETS[2],
                                          "pds_url": f"{sandbox.url}/bluesky"})
    assert bluesky.status_code == 201
    user = make_user(password=SECRETS[3])
    login(client, user.email, SECRETS[3])
    log.info("calling with headers %s", {"Authorization": f"Bearer {SECRETS[0]}"})
    log.info("form %s", f"email=a%40b.c&password={SECRETS[4]}&next=%2F")
    log.warning("connect failed for postgresql+psycopg://openpost:%s@db:5432/op", SECRETS[5])
    log.info("token refresh answered %s", json.dumps({"access_token": SECRETS[0],
                                                      "refresh_token": SECRETS[1]}))
    log.info("bare value %s", SECRETS[2])  # known because the channel was connected
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        httpx.get(f"http://127.0.0.1:{server.server_port}/v1/me?access_token={SECRETS[0]}&x=1",
                  timeout=5)
    finally:
        server.shutdown()
    try:
        raise RuntimeError(f"platform said no to {SECRETS[0]}")
    except RuntimeError:
        log.exception("publish failed")
    text = captured.getvalue()
    assert "publish failed" in text and "calling with headers" in text and "x=1" in text
    for secret in SECRETS:
        assert secret not in text, secret
    assert logs.MASK in text


def test_log_context_adds_fields_and_nests(captured):
    log = logging.getLogger("openpost.test")
    with logs.log_context(post_id="p1", channel="c1", platform="x"):
        with logs.log_context(attempt=2):
            log.info("inner")
        log.info("outer")
    log.info("after")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    inner, outer, after = (next(x for x in lines if x["message"] == m)
                           for m in ("inner", "outer", "after"))
    assert inner["post_id"] == "p1" and inner["platform"] == "x" and inner["attempt"] == "2"
    assert outer["channel"] == "c1" and "attempt" not in outer
    assert "post_id" not in after


def test_a_line_logged_during_a_request_carries_its_id(captured, client, db, monkeypatch):
    from app.ops import alarm, views
    from app.ops.models import AlarmState

    # /readyz rolls its session back before the alarm check, so what the check finds is what
    # earlier tests committed: here it finds no worker and an alarm not raised yet, whatever ran
    # before (in one process or several).
    monkeypatch.setattr(alarm, "status", lambda sess, workspace_id=None: alarm.Status(
        now=datetime.now(UTC), live_workers=0, last_tick_at=None, overdue=0, oldest_due=None))
    monkeypatch.setattr(alarm, "_locked_state", lambda sess: AlarmState(name=alarm.ALARM,
                                                                         alarming=False))
    views._last_check["at"] = 0  # let /readyz run the alarm check, which logs the alarm
    answer = client.get("/readyz", headers={"x-op-request-id": "req-0123456789"})
    assert answer.headers["x-op-request-id"] == "req-0123456789"
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    alarm_line = next(x for x in lines if "not being published" in x["message"])
    assert alarm_line["request_id"] == "req-0123456789" and alarm_line["level"] == "ERROR"


def test_plain_format_redacts_too():
    stream = io.StringIO()
    handler = logs.make_handler(stream, fmt="plain")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "auth %s", ("Bearer op_abc123def456",),
                               None)
    handler.handle(record)
    assert "op_abc123def456" not in stream.getvalue() and logs.MASK in stream.getvalue()


def test_the_web_servers_access_log_masks_secrets_in_urls(database_url, tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.conftest import ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = tmp_path / "web.log"
    env = dict(os.environ, DATABASE_URL=database_url)
    with open(log_path, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "app.cli", "web", "--port", str(port),  # noqa: S603
                                   "--workers", "1"], cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    url = f"http://127.0.0.1:{port}/healthz?access_token={SECRETS[0]}&password={SECRETS[4]}"
                    urllib.request.urlopen(url, timeout=2).read()  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.3)
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log_path.read_text()
    assert "GET /healthz?access_token=" in text and logs.MASK in text
    assert SECRETS[0] not in text and SECRETS[4] not in text
