"""A PostgreSQL restart in the middle of publishing: workers reconnect and nothing is lost."""

import os
import subprocess
import sys
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import db
from bench.engine import data
from tests.conftest import ROOT
from tests.engine.conftest import wait_until


def test_workers_survive_a_database_restart(private_server, platform, tmp_path):
    url, restart = private_server
    platform.latency = 0.05
    engine = db.make_engine(url, pool_size=2)
    with Session(engine) as sess:
        workspace_id = data.make_workspace(sess)
        channel = data.make_channel(sess, workspace_id, platform.base_url)
        now = sess.scalar(sa.select(sa.func.now()))
        ids = data.make_posts(sess, workspace_id, [channel],
                              [now + timedelta(seconds=1 + i / 10) for i in range(120)])
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": url, "OPENPOST_TICK_SECONDS": "0.2",
           "OPENPOST_LEASE_SECONDS": "3", "OPENPOST_RETRY_BASE_SECONDS": "0.1"}
    with open(log, "w") as out:
        worker = subprocess.Popen([sys.executable, "-m", "app.cli", "bench-worker"],  # noqa: S603
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: len(platform.records) >= 20, 30)
            restart()  # posts keep falling due for seconds more: the engine meets the outage

            def states():
                engine.dispose()
                with Session(engine) as sess:
                    return dict(sess.execute(sa.text(
                        "SELECT state, count(*) FROM posts GROUP BY state")).all())

            wait_until(lambda: states() == {"published": 120}, 60)
        finally:
            worker.kill()
            worker.wait()
            engine.dispose()
    assert len(ids) == 120 and set(platform.created_counts().values()) == {1}
    assert len(platform.created_counts()) == 120
    text = log.read_text()
    assert "database unavailable" in text and "reachable again" in text
