"""`openpost bench web` runs end to end and leaves nothing behind (figures are not asserted)."""

import json

import sqlalchemy as sa

from tests.ops.test_cli import openpost


def test_bench_web_prints_one_json_line_last_and_cleans_up(database_url, engine):
    done = openpost(database_url, "bench", "web", "--seconds", "1", "--clients", "2",
                    "--workers", "1", "--posts", "3", timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "web" and figures["errors"] == 0
    assert figures["api_posts"]["requests"] > 0 and figures["login_page"]["requests"] > 0
    assert {"rps", "p50_ms", "p99_ms"} <= set(figures)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM workspaces WHERE name LIKE "
                                   "'bench-web-%'")) == 0
