"""Real worker processes: SIGTERM finishes or releases, SIGKILL loses and duplicates nothing."""

import random
import signal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.posts.models import Post
from tests.engine.conftest import wait_until


def _publishing(space, ids):
    return space.states(ids).get("publishing", 0)


def test_sigterm_finishes_in_flight_posts_and_releases_the_rest(space, platform, spawn):
    platform.paused = True  # the platform answers once the worker is stopping
    channel = space.channel(platform.base_url)
    ids = space.posts([channel], n=8)
    proc = spawn(concurrency=3, channel_limit=2, grace_seconds=120, tick_seconds=0.2,
                 http_timeout_seconds=600)
    # two posts are inside their HTTP call (the channel allows two), the others wait their turn
    wait_until(lambda: len(platform.in_flight()) == 2 and _publishing(space, ids) >= 4, 120)
    proc.send_signal(signal.SIGTERM)
    wait_until(lambda: "stopping (grace" in proc.log_path.read_text(), 120)
    platform.paused = False  # within its grace period
    assert proc.wait(60) == 0
    states = space.states(ids)
    with Session(space.engine) as sess:
        waiting = sess.scalars(sa.select(Post).where(Post.id.in_(ids),
                                                     Post.state == "publishing")).all()
    assert states.get("published", 0) >= 2  # the two in flight finished
    assert len(platform.records) == states["published"]
    for post in waiting:  # released: any worker may take them at once
        assert (post.lease_until, post.claim_token, post.claimed_by) == (None, None, None)
        assert post.next_attempt_at is not None and post.attempts == 0
    spawn(concurrency=4, tick_seconds=0.2)
    assert space.wait_terminal(ids) == {"published": 8}
    assert set(platform.created_counts().values()) == {1}


def test_sigkill_chaos_loses_nothing_and_duplicates_nothing(space, platform, spawn):
    platform.latency = 0.05
    platform.faults = {"error_5xx": 0.03, "rate_limit": 0.02, "timeout": 0.01, "cut": 0.02,
                       "reset_seconds": 0.5, "hang_seconds": 2.0}
    settings = {"lease_seconds": 2, "tick_seconds": 0.2, "retry_base_seconds": 0.1,
                "http_timeout_seconds": 1, "grace_seconds": 2, "maintenance_seconds": 0.5}
    channels = [space.channel(platform.base_url) for _ in range(6)]
    ids = [i for due in (1, 2, 3, 4) for i in space.posts(channels, n=100, due_in=due)]
    procs = [spawn(concurrency=8, **settings) for _ in range(3)]
    for kill in range(4):  # a kill after every 60 posts out, while the burst goes on
        wait_until(lambda k=kill: len(platform.records) >= 60 * (k + 1), 120)
        victim = random.randrange(len(procs))
        procs[victim].send_signal(signal.SIGKILL)
        procs[victim].wait()
        procs[victim] = spawn(concurrency=8, **settings)
    platform.faults = {}
    states = space.wait_terminal(ids, timeout=60)
    counts = platform.created_counts()
    with Session(space.engine) as sess:
        published = sess.execute(sa.select(Post.text, Post.provider_post_id).where(
            Post.id.in_(ids), Post.state == "published")).all()
    assert not states.get("scheduled") and not states.get("publishing")   # nothing lost
    assert max(counts.values()) == 1                                       # no duplicate
    by_text = {r[0]: r[2] for r in platform.records}
    assert all(by_text.get(text) == pid for text, pid in published)       # what we say is out
    assert states.get("published", 0) + states.get("failed", 0) == 400
