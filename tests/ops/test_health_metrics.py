"""/healthz, /readyz and /metrics as a monitor sees them."""

import os
import subprocess
import sys
import uuid

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from app.ops import metrics
from tests.conftest import ROOT
from tests.ops.test_alarm import _overdue_post, _worker


def test_healthz_needs_no_login(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}


def test_readyz_is_503_without_a_live_worker(quiet_ops, client, db):
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json
    assert body["status"] == "unavailable" and body["checks"]["database"]["ok"]
    assert body["checks"]["migrations"]["ok"] and not body["checks"]["workers"]["ok"]
    assert "No worker" in body["alarm"]["reason"]


def test_readyz_ok_with_a_live_worker_then_503_on_an_overdue_post(quiet_ops, client, db, workspace,
                                                                   make_channel):
    _worker(db)
    answer = client.get("/readyz")
    assert answer.status_code == 200 and answer.json["status"] == "ok"
    assert answer.json["checks"]["workers"]["live"] == 1
    ws, _ = workspace
    _overdue_post(db, ws, make_channel(ws))
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["publishing"] == {
        "ok": False, "overdue_posts": 1, "oldest_due_at": answer.json["checks"]["publishing"][
            "oldest_due_at"]}
    assert "overdue" in answer.json["alarm"]["reason"]


def test_readyz_503_when_migrations_are_behind(quiet_ops, client, db):
    _worker(db)
    db.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))  # behind the head
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"]["migrations"] == {"ok": False,
                                                   "hint": "run `openpost db upgrade`"}


def test_readyz_503_when_the_database_is_unreachable(db):
    from app import create_app

    down = create_app({"TESTING": True, "SERVER_NAME": "localhost",
                       "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                       "ENGINE": sa.create_engine(
                           "postgresql+psycopg://nobody@127.0.0.1:1/none",
                           connect_args={"connect_timeout": 2})})
    answer = down.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json["checks"] == {"database": {"ok": False, "error": "OperationalError"}}
    assert down.test_client().get("/healthz").status_code == 200


def _families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def _sample(families, family, name, **labels):
    return next(s.value for s in families[family].samples
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def test_metrics_page(quiet_ops, client, db, workspace, make_channel):
    from app.webhooks import service as webhooks

    ws, _ = workspace
    webhooks.create_endpoint(db, ws, "test", url="https://hooks.example.com/openpost")
    _overdue_post(db, ws, make_channel(ws))
    platform, code = f"p-{uuid.uuid4().hex[:6]}", f"c-{uuid.uuid4().hex[:6]}"
    metrics.observe_publish(platform, 0.3, 2.0)
    metrics.count_retry(platform)
    metrics.count_failure(code)
    metrics.observe_claim_batch(7)
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.content_type.startswith("text/plain")
    page = _families(answer.get_data(as_text=True))
    assert _sample(page, "openpost_posts", "openpost_posts", state="scheduled") >= 1
    assert _sample(page, "openpost_posts", "openpost_posts", state="published") == 0
    assert _sample(page, "openpost_posts_overdue", "openpost_posts_overdue") >= 1
    assert _sample(page, "openpost_alarm", "openpost_alarm") == 1
    assert _sample(page, "openpost_outbox_pending", "openpost_outbox_pending", kind="webhook") >= 1
    duration = "openpost_publish_duration_seconds"
    assert _sample(page, duration, duration + "_count", platform=platform) == 1
    assert _sample(page, duration, duration + "_bucket", platform=platform, le="0.25") == 0
    assert _sample(page, duration, duration + "_bucket", platform=platform, le="0.5") == 1
    lateness = "openpost_publish_lateness_seconds"
    assert _sample(page, lateness, lateness + "_bucket", platform=platform, le="1.0") == 0
    assert _sample(page, lateness, lateness + "_bucket", platform=platform, le="2.0") == 1
    assert _sample(page, "openpost_publish_retries", "openpost_publish_retries_total",
                   platform=platform) == 1
    assert _sample(page, "openpost_publish_failures", "openpost_publish_failures_total",
                   code=code) == 1
    assert _sample(page, "openpost_claim_batch_size", "openpost_claim_batch_size_sum") >= 7


def test_metrics_token(client, db, monkeypatch):
    monkeypatch.setenv("OPENPOST_METRICS_TOKEN", "scrape-me")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200


OBSERVE = "from app.ops import metrics; metrics.observe_publish('x', 0.2, 1.5); " \
          "metrics.count_failure('platform_error')"
SCRAPE = """
import sys
from app import create_app
app = create_app({"DATABASE_URL": sys.argv[1], "SERVER_NAME": "localhost"})
print(app.test_client().get("/metrics").get_data(as_text=True))
"""


def test_multiprocess_mode_sums_every_process(database_url, tmp_path):
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    for _ in range(3):
        subprocess.run([sys.executable, "-c", OBSERVE], cwd=ROOT, env=env, check=True, timeout=60)  # noqa: S603
    out = subprocess.run([sys.executable, "-c", SCRAPE, database_url], cwd=ROOT, env=env,  # noqa: S603
                         check=True, timeout=60, capture_output=True, text=True).stdout
    families = _families(out)
    assert _sample(families, "openpost_publish_failures", "openpost_publish_failures_total",
                   code="platform_error") == 3
    assert _sample(families, "openpost_publish_duration_seconds",
                   "openpost_publish_duration_seconds_count", platform="x") == 3
    assert "openpost_posts" in families


EXPORTER = """
import sys, time, urllib.request
from app.ops import metrics
metrics.count_failure("network_error")
port = metrics.start_worker_exporter()
print(urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode())
"""


def test_a_worker_can_serve_its_own_metrics():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, OPENPOST_WORKER_METRICS_PORT=str(port))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    out = subprocess.run([sys.executable, "-c", EXPORTER], cwd=ROOT, env=env,  # noqa: S603
                         check=True, timeout=60, capture_output=True, text=True).stdout
    assert _sample(_families(out), "openpost_publish_failures", "openpost_publish_failures_total",
                   code="network_error") == 1
