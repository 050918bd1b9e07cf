"""Idempotency-Key on POST /posts: retries replay the first answer and never create twice."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from app import db as appdb
from app.posts.models import Post
from tests.webhooks.conftest import committed  # noqa: F401  (fixture)


def count_posts(db, workspace_id):
    return db.scalar(sa.select(sa.func.count()).select_from(Post)
                     .where(Post.workspace_id == workspace_id))


def test_retry_with_same_key_and_body_returns_the_same_post(api, db, make_channel):
    body = {"channel_id": str(make_channel(api.workspace_id).id), "text": "once"}
    first = api.post("/posts", json=body, headers={"Idempotency-Key": "k-1"})
    again = api.post("/posts", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_posts(db, api.workspace_id) == 1
    other = api.post("/posts", json=body, headers={"Idempotency-Key": "k-2"})
    assert other.get_json()["id"] != first.get_json()["id"]


def test_same_key_with_another_body_is_refused_clearly(api, db, make_channel):
    channel = str(make_channel(api.workspace_id).id)
    api.post("/posts", json={"channel_id": channel, "text": "a"},
             headers={"Idempotency-Key": "k"})
    answer = api.post("/posts", json={"channel_id": channel, "text": "b"},
                      headers={"Idempotency-Key": "k"})
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "idempotency_key_reused" and "different request" in error["message"]
    assert count_posts(db, api.workspace_id) == 1


def test_a_refused_request_stores_nothing_so_a_fixed_retry_works(api, make_channel):
    channel = str(make_channel(api.workspace_id).id)
    bad = api.post("/posts", json={"channel_id": channel, "text": "x", "schedule_at": "soon"},
                   headers={"Idempotency-Key": "fix-me"})
    assert bad.status_code == 422
    fixed = api.post("/posts", json={"channel_id": channel, "text": "x"},
                     headers={"Idempotency-Key": "fix-me"})
    assert fixed.status_code == 201


def test_an_unusable_key_is_refused(api, make_channel):
    channel = str(make_channel(api.workspace_id).id)
    answer = api.post("/posts", json={"channel_id": channel, "text": "x"},
                      headers={"Idempotency-Key": "x" * 300})
    assert answer.status_code == 422 and "Idempotency-Key" in answer.get_json()["error"]["message"]


def waiting_on_locks(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE "
                                   "datname = current_database() AND wait_event_type = 'Lock'"))


@pytest.mark.concurrency
def test_two_concurrent_requests_with_one_key_create_one_post(app, engine,
                                                             committed):  # noqa: F811
    from app.auth import service as auth
    from app.channels import service as channels

    ws, _ = committed
    _key, token = auth.create_api_key(appdb.session(), ws, "test")
    channel = channels.connect(appdb.session(), ws, "test", platform="mastodon", handle="@c",
                               credentials={"access_token": "t"},
                               settings={"instance_url": "https://m.example"})
    appdb.session.remove()
    body = {"channel_id": str(channel.id), "text": "only one"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "race"}
    start = threading.Barrier(2)
    answers = []

    def send():
        with app.test_client() as client:
            start.wait(timeout=10)
            answers.append(client.post("/api/v1/posts", json=body, headers=headers))
    threads = [threading.Thread(target=send) for _ in range(2)]
    # Hold the channel row so the first request stalls inside its transaction (the post's
    # foreign key check waits) while the second arrives with the same key.
    with engine.connect() as blocker:
        blocker.execute(sa.text("SELECT 1 FROM channels WHERE id = :c FOR UPDATE"),
                        {"c": channel.id})
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while waiting_on_locks(engine) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert waiting_on_locks(engine) == 2  # both requests are inside, one behind the other
        blocker.rollback()
    for t in threads:
        t.join(timeout=30)
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].get_json()["id"] == answers[1].get_json()["id"]
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    try:
        assert count_posts(appdb.session(), ws) == 1
    finally:
        appdb.session.remove()
