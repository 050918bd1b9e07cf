"""`openpost bench metrics` runs end to end against the fakes and prints its figures (no
timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def test_bench_metrics_measures_every_post_on_all_eight(database_url):
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "app.cli", "bench", "metrics", "--posts", "80", "--channels", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["posts"] == figures["measured"] == 80
    assert figures["statuses"] == {"ok": 80}
    assert set(figures["platforms"]) == {"x", "bluesky", "mastodon", "threads", "instagram",
                                         "facebook", "linkedin", "tiktok"}
    assert figures["platforms"]["x"]["calls"] == 1  # ten posts, one lookup
