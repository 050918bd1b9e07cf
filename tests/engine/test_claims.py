"""Racing workers, leases and fencing, with real commits."""

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.posts import lifecycle, publishing
from app.posts.models import Post, PostEvent
from tests.engine.conftest import MovedClock, Sleeps, leases_pass, wait_until


def test_racing_workers_publish_every_post_exactly_once(space, platform, loopback, workers):
    channels = [space.channel(platform.base_url) for _ in range(4)]
    ids = space.posts(channels, n=240)
    racers = workers(4, concurrency=8, batch=10)
    assert space.wait_terminal(ids, timeout=60) == {"published": 240}
    counts = platform.created_counts()
    assert len(counts) == 240 and set(counts.values()) == {1}
    assert platform.requests == 240  # not even a repeat the idempotency key absorbed
    with Session(space.engine) as sess:
        claimed_by = sess.execute(sa.select(PostEvent.actor, sa.func.count()).where(
            PostEvent.post_id.in_(ids), PostEvent.to_state == "publishing")
            .group_by(PostEvent.actor)).all()
        published_events = sess.scalar(sa.select(sa.func.count()).select_from(PostEvent).where(
            PostEvent.post_id.in_(ids), PostEvent.to_state == "published"))
    assert sum(n for _a, n in claimed_by) == 240  # one claim per post, never two
    assert len(claimed_by) > 1                     # and the work was really shared
    assert published_events == 240
    assert {w.id for w in racers} >= {a.removeprefix("worker:") for a, _n in claimed_by}


def test_a_post_is_never_claimed_before_its_time(space, platform, loopback, workers):
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel], due_in=1.5)
    workers(1)
    assert space.wait_terminal([post_id]) == {"published": 1}
    post = space.post(post_id)
    [(_text, created_at, *_rest)] = platform.records
    assert created_at >= post.schedule_at.timestamp()


def test_a_post_due_before_the_next_tick_does_not_wait_for_it(space, platform, loopback,
                                                              workers):
    channel = space.channel(platform.base_url)
    sleeps = Sleeps()
    # only LISTEN/NOTIFY or the due-time sleep can wake it
    workers(1, tick_seconds=300, prepare=lambda w: setattr(w, "wake", sleeps))
    assert sleeps.asleep.wait(30)  # nothing to do: its claim loop sleeps
    ids = space.posts([channel], due_in=0.5)
    assert space.wait_terminal(ids, timeout=60) == {"published": 1}


def test_an_expired_lease_is_taken_over_and_the_old_owner_is_fenced(space, platform, loopback,
                                                                    workers):
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    with Session(space.engine) as sess:  # a worker that claims, then stalls past its lease
        [stale] = lifecycle.claim_due(sess, "paused-worker", 10, 600)
        sess.commit()
    leases_pass(space.engine, [post_id])
    workers(1)
    assert space.wait_terminal([post_id]) == {"published": 1}
    with Session(space.engine) as sess:  # it resumes and tries to write its own outcome
        refused = lifecycle.finish_many(sess, [{
            "id": post_id, "token": stale.claim_token, "target": "failed",
            "error_code": "platform_error", "error_message": "late"}], actor="paused-worker")
        released = publishing.release_many(sess, [{"id": post_id, "token": stale.claim_token,
                                                   "delay": 0, "reason": "late"}], actor="x")
        saved = publishing.save_part(sess, post_id, stale.claim_token, {"index": 9})
        sess.commit()
    assert (refused, released, saved) == ([], set(), False)
    post = space.post(post_id)
    assert post.state == "published" and post.error_code is None
    assert list(platform.created_counts().values()) == [1]


def test_claim_uses_the_partial_indexes(space, pg):
    with pg.connect() as conn:
        conn.execute(sa.text("SET enable_seqscan = off"))
        plan = "\n".join(r[0] for r in conn.execute(
            sa.text("EXPLAIN " + lifecycle.CLAIM_SQL.text),
            {"worker": "w", "limit": 10, "lease": 5}))
        conn.rollback()
    for index in ("ix_posts_due", "ix_posts_lease", "ix_posts_retry"):
        assert index in plan


def test_claim_sets_the_lease_from_the_database_clock(space, platform):
    channel = space.channel(platform.base_url)
    [post_id] = space.posts([channel])
    with Session(space.engine) as sess:
        [row] = lifecycle.claim_due(sess, "w1", 5, 30)
        now = sess.scalar(sa.select(sa.func.now()))
        sess.commit()
    assert row.id == post_id and row.source == "due"
    assert isinstance(row.claim_token, uuid.UUID)
    post = space.post(post_id)
    assert (post.state, post.attempts, post.claimed_by) == ("publishing", 1, "w1")
    assert post.claim_token == row.claim_token
    assert abs((post.lease_until - now).total_seconds() - 30) < 1
    with Session(space.engine) as sess:
        assert sess.scalar(sa.select(Post.state).where(Post.id == post_id)) == "publishing"
        assert lifecycle.claim_due(sess, "w2", 5, 30) == []  # leased: nobody else gets it


def _lease_left(engine, ids) -> float:
    """Seconds until the first of these posts' leases ends (database clock)."""
    with Session(engine) as sess:
        return sess.scalar(sa.select(sa.func.extract(
            "epoch", sa.func.min(Post.lease_until) - sa.func.now())).where(Post.id.in_(ids)))


def test_a_publish_longer_than_the_lease_keeps_its_lease(space, platform, loopback, workers):
    lease = 60.0
    platform.paused = True  # every call stays inside the platform until the test lets it answer
    channel = space.channel(platform.base_url)
    ids = space.posts([channel], n=3)
    clock = MovedClock()
    # The fence is longer than a step below, so the leases are renewed for their age alone.
    workers(2, clock=clock, lease_seconds=lease, tick_seconds=0.1, dead_after_seconds=600,
            http_timeout_seconds=600)
    wait_until(lambda: len(platform.in_flight()) == 3, 30)
    for _ in range(3):  # 63 s in all: the leases the claim set would have run out
        leases_pass(space.engine, ids, 21)  # for the database ...
        clock.advance(21)                   # ... and for the workers: a third of a lease is past
        wait_until(lambda: _lease_left(space.engine, ids) > lease - 10, 30)  # renewed by a tick
    with Session(space.engine) as sess:
        assert lifecycle.claim_due(sess, "rival", 10, lease) == []  # nothing to take over
        sess.rollback()
    platform.paused = False
    assert space.wait_terminal(ids) == {"published": 3}
    assert platform.requests == 3  # renewed in time: nobody reconciled a live attempt
    with Session(space.engine) as sess:
        claims = sess.scalar(sa.select(sa.func.count()).select_from(Post).where(
            Post.id.in_(ids), Post.attempts == 1))
    assert claims == 3
