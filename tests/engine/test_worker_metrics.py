"""A worker process serves its own /metrics when OPENPOST_WORKER_METRICS_PORT is set."""

import os
import signal
import socket
import subprocess
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT
from tests.engine.conftest import forget_workers, wait_until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scrape(port: int) -> dict | None:
    """{(sample name, labels): value} from the worker's /metrics, or None while it is not up."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
            text = answer.read().decode()
    except OSError:
        return None
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _published(port: int) -> float:
    samples = _scrape(port) or {}
    return samples.get(("openpost_publish_duration_seconds_count",
                        (("platform", "mastodon"),)), 0)


def test_a_worker_process_serves_what_it_published_on_its_metrics_port(space, platform, spawn,
                                                                       monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    port = _free_port()
    channel = space.channel(platform.base_url)
    ids = space.posts([channel], n=3)
    proc = spawn(concurrency=2, tick_seconds=0.2, worker_metrics_port=port)
    assert space.wait_terminal(ids) == {"published": 3}
    wait_until(lambda: _published(port) == 3, 120)
    samples = _scrape(port)
    assert samples[("openpost_claim_batch_size_count", ())] >= 1
    assert proc.poll() is None


def test_a_taken_metrics_port_does_not_stop_the_worker(space, platform, spawn, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        channel = space.channel(platform.base_url)
        ids = space.posts([channel], n=2)
        proc = spawn(concurrency=2, tick_seconds=0.2, worker_metrics_port=port)
        assert space.wait_terminal(ids) == {"published": 2}
        assert proc.poll() is None
    assert f"metrics not served on 127.0.0.1:{port}" in proc.log_path.read_text()


def test_openpost_worker_itself_starts_the_exporter(database_url, pg, tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "OPENPOST_WORKER_METRICS_PORT": str(port),
           "OPENPOST_HOUSEKEEPING": "0"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with open(tmp_path / "worker.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--concurrency", "1"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        samples = wait_until(lambda: _scrape(port), 120)
        assert ("openpost_claim_batch_size_count", ()) in samples
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        forget_workers(pg, pids=[proc.pid])
