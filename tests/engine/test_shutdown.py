"""Stopping a worker: the grace period is kept, what it will not finish goes to another worker
at once, the shutdown is recorded and logged, and nothing the worker runs late undoes it."""

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ops.models import WorkerHeartbeat
from app.posts.models import Post, PostEvent
from tests.engine.conftest import MovedClock, wait_until


def _listeners(engine) -> int:
    """Worker connections listening for "a post is due" on this database."""
    with engine.connect() as conn:
        return conn.scalar(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND query ILIKE 'LISTEN %'"))


def _events(engine, ids) -> list[PostEvent]:
    with Session(engine) as sess:
        return list(sess.scalars(sa.select(PostEvent).where(
            PostEvent.post_id.in_(ids), PostEvent.from_state == "publishing",
            PostEvent.to_state == "publishing")))


def test_what_a_stopping_worker_will_not_finish_goes_to_another_worker_at_once(
        space, platform, loopback, workers, caplog):
    caplog.set_level(logging.INFO, logger="jobs.worker")
    platform.paused = True                    # the platform answers later than the grace period
    channel = space.channel(platform.base_url)
    ids = space.posts([channel], n=10)
    [stopping] = workers(1, lease_seconds=600, http_timeout_seconds=600)
    wait_until(lambda: len(platform.in_flight()) == 4, 30)  # the channel's limit: 6 wait
    # Another worker sleeps meanwhile: nothing is due before its next tick, 300 s away.
    [other] = workers(1, lease_seconds=600, tick_seconds=300)
    wait_until(lambda: _listeners(space.engine) >= 2, 30)

    sent = set(platform.in_flight())
    stopping.stop(grace=0.2)
    assert sent <= set(platform.in_flight())  # it did not wait for the platform's answers
    platform.paused = False
    events = _events(space.engine, ids)
    assert sorted(e.detail.get("released") or e.detail.get("lease_ended") for e in events) == \
        ["shutdown"] * 10
    assert {e.actor for e in events} == {stopping.actor}
    assert sum("lease_ended" in e.detail for e in events) == 4
    summary = [r.getMessage() for r in caplog.records if "stopped:" in r.getMessage()]
    assert summary == [f"worker {stopping.id} stopped: 0 in flight finished, 6 queued released, "
                       "4 in flight handed over (past the grace period: the next worker "
                       "reconciles them with the platform)"]

    # Woken by the shutdown, not by its tick nor by a lease running out.
    assert space.wait_terminal(ids, timeout=60) == {"published": 10}
    assert set(platform.created_counts().values()) == {1} and len(platform.records) == 10
    with Session(space.engine) as sess:
        keys = sess.scalars(sa.select(Post.idempotency_key).where(Post.id.in_(ids))).all()
    # the four handed over mid-request were asked again, with the same key: no duplicate
    assert sorted(platform.keys[f"{k}-0"] for k in keys) == [1] * 6 + [2] * 4
    assert other.claimed == 10


def test_a_tick_running_late_does_not_undo_the_shutdown(space, platform, loopback, workers):
    platform.paused = True                    # the post stays inside its platform call
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    clock = MovedClock()
    # No tick of its own before the end (the fence outlasts the clock's move below).
    [worker] = workers(1, clock=clock, lease_seconds=600, tick_seconds=300,
                       dead_after_seconds=3600, http_timeout_seconds=600)
    wait_until(lambda: platform.in_flight(), 30)
    clock.advance(201)                        # its lease is now due for renewal
    worker.stop(grace=0.1)
    worker._tick()                            # as a tick already under way would
    with Session(space.engine) as sess:
        beat = sess.get(WorkerHeartbeat, worker.id)
        post, now = sess.get(Post, post_id), sess.scalar(sa.select(sa.func.now()))
    assert beat.stopped_at is not None        # still shown as stopped
    assert post.state == "publishing" and post.lease_until <= now  # the lease stays ended
    platform.paused = False
