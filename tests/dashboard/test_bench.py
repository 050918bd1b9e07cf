"""The dashboard benchmark runs end to end and prints its figures (no timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, _server_url


def test_bench_prints_figures_for_each_page():
    env = {**os.environ, "DATABASE_URL": _server_url()}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "bench/calendar_page.py", "--posts", "60", "--runs", "2", "--polls", "3"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["posts"] == 60
    for page in ("calendar_month", "calendar_week", "post_list", "badge_poll"):
        assert set(figures[page]) == {"p50_ms", "p95_ms", "max_ms"}
        assert 0 < figures[page]["p50_ms"] <= figures[page]["max_ms"]
