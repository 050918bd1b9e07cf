"""Dashboard benchmark: calendar (month, week, day) and post list (by time, by creation, a text
search) with many posts in one month, and the badge poll.

Run: python bench/calendar_page.py [--posts 10000] [--runs 30] [--polls 300]
Uses a throwaway database on the server DATABASE_URL points at (or the embedded one), seeds it,
times the pages in-process (server time, no network), prints one JSON line last, drops the data.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SEED = """
INSERT INTO posts (id, workspace_id, channel_id, group_id, state, schedule_at, timezone, text,
                   media_ids, options, results, warnings, attempts, version, error_code,
                   error_message, live_url)
SELECT gen_random_uuid(), :ws, :ch, gen_random_uuid(), s.state,
       date_trunc('month', now()) + interval '2 days' + (i::bigint * :span / :n) * interval '1 second',
       'UTC', 'post number ' || i, '[]', '{}', '[]', '[]', 0, 1,
       CASE WHEN s.state = 'failed' THEN 'platform_error' END,
       CASE WHEN s.state = 'failed' THEN 'the platform said no' END,
       CASE WHEN s.state = 'published' THEN 'https://m.example/@b/' || i END
FROM generate_series(1, :n) AS i,
     LATERAL (SELECT (ARRAY['scheduled','scheduled','published','failed','draft'])[1 + i % 5]
              AS state) AS s
"""


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _time(client, path: str, runs: int, headers=None) -> dict:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = client.get(path, headers=headers or {})
        samples.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return {"p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(_percentile(samples, 95), 2), "max_ms": round(max(samples), 2)}


def _database(admin_url: str):
    from app import db

    base = sa.engine.make_url(admin_url)
    name = f"openpost_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    db.upgrade(url)
    return admin, name, url


def _seed(app, posts: int) -> tuple[str, str]:
    from app import db
    from app.auth.service import create_user
    from app.channels.service import connect

    with app.app_context():
        user = create_user(db.session, "bench@example.com", "bench password", "Bench")
        ws = user.memberships[0].workspace_id
        channel = connect(db.session, ws, "bench", platform="mastodon", handle="@bench",
                          credentials={"access_token": "t"},
                          settings={"instance_url": "https://m.example"})
        db.session.execute(sa.text(SEED), {"ws": ws, "ch": channel.id, "n": posts,
                                           "span": 25 * 86400})
        db.session.commit()
        db.session.execute(sa.text("ANALYZE posts"))
        scheduled = db.session.scalar(sa.text(
            "SELECT id FROM posts WHERE state = 'scheduled' LIMIT 1"))
        month = db.session.scalar(sa.text("SELECT to_char(now(), 'YYYY-MM-15')"))
        db.session.commit()
    return str(scheduled), month


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--polls", type=int, default=300)
    args = parser.parse_args()
    from app import create_app, db

    admin, name, url = _database(db.database_url())
    try:
        app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
        post_id, day = _seed(app, args.posts)
        client = app.test_client()
        client.post("/login", data={"email": "bench@example.com", "password": "bench password"})
        for path in (f"/calendar?date={day}", "/"):
            client.get(path)  # warm caches and the template compiler
        figures = {
            "posts": args.posts,
            "calendar_month": _time(client, f"/calendar?date={day}", args.runs),
            "calendar_week": _time(client, f"/calendar?view=week&date={day}", args.runs),
            "calendar_day": _time(client, f"/calendar?view=day&date={day}", args.runs),
            "post_list": _time(client, "/", args.runs),  # by scheduled time, earliest first
            "post_list_created": _time(client, "/?sort=created", args.runs),
            "post_list_search": _time(client, "/?q=number+4242", args.runs),
            "badge_poll": _time(client, f"/posts/{post_id}/status", args.polls,
                                {"HX-Request": "true"}),
        }
        print(json.dumps(figures))
    finally:
        from app import db as appdb

        appdb.session.remove()
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))


if __name__ == "__main__":
    os.environ.setdefault("OPENPOST_INSTANCE_PATH", str(Path.cwd() / "instance"))
    main()
