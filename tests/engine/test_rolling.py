"""A rolling restart of every worker process during a burst: nothing lost, nothing twice."""

import re
import signal
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ops.models import WorkerHeartbeat
from app.posts.models import Post, PostEvent
from tests.engine.conftest import wait_until

POSTS = 1000
# Leases that cannot run out during the test: whatever a stopping worker did not finish is
# published by another worker only if it was handed over (released, or its lease ended).
SETTINGS = {"lease_seconds": 600, "tick_seconds": 0.2, "maintenance_seconds": 0.5,
            "http_timeout_seconds": 30}
SHUTDOWN = re.compile(r"stopped: (\d+) in flight finished, (\d+) queued released, "
                      r"(\d+) in flight handed over")


def _worker_id(space, proc) -> str | None:
    with Session(space.engine) as sess:
        return sess.scalar(sa.select(WorkerHeartbeat.id).where(
            WorkerHeartbeat.pid == proc.pid, WorkerHeartbeat.stopped_at.is_(None)))


def _in_request(space, platform, worker_id) -> bool:
    """Whether the platform is in the middle of a request for a post this worker claimed."""
    keys = [key.rsplit("-", 1)[0] for key in platform.in_flight()]
    with Session(space.engine) as sess:
        return bool(keys) and bool(sess.scalar(sa.select(sa.func.count()).where(
            Post.idempotency_key.in_(keys), Post.claimed_by == worker_id)))


def _shutdown_summary(proc) -> tuple[int, int, int]:
    found = SHUTDOWN.search(proc.log_path.read_text())
    assert found, f"no shutdown summary in the log of worker {proc.pid}"
    return tuple(int(n) for n in found.groups())


def _handovers(space, ids) -> tuple[dict, dict, dict]:
    """From the post events: post -> the workers that released it unstarted, post -> the
    workers that ended its lease mid-request, post -> the worker that published it."""
    released, ended, published = defaultdict(list), defaultdict(list), {}
    with Session(space.engine) as sess:
        events = sess.scalars(sa.select(PostEvent).where(PostEvent.post_id.in_(ids))).all()
    for event in events:
        detail = event.detail or {}
        if event.to_state == "published":
            published[event.post_id] = event.actor
        elif detail.get("released") == "shutdown":
            released[event.post_id].append(event.actor)
        elif detail.get("lease_ended") == "shutdown":
            ended[event.post_id].append(event.actor)
    return released, ended, published


def test_a_rolling_restart_of_every_worker_loses_and_duplicates_nothing(space, platform, spawn):
    platform.latency = 0.25
    channels = [space.channel(platform.base_url) for _ in range(16)]
    # The first worker's grace period lets it finish the posts it has in flight. The other two
    # get less time than the platform takes to answer (it withholds its answers while they
    # stop), so they must hand the posts they are publishing over to the other workers.
    graces, paused = (10, 0.2, 0.2), (False, True, True)
    procs = [spawn(concurrency=16, grace_seconds=grace, **SETTINGS) for grace in graces]
    worker_ids = [wait_until(lambda p=proc: _worker_id(space, p), 120) for proc in procs]
    ids = space.posts(channels, n=POSTS, due_in=0.5)
    stopped = list(procs)
    for i, (proc, worker_id) in enumerate(zip(stopped, worker_ids, strict=True)):
        # another worker is up to take over, and this one is in the middle of a request
        wait_until(lambda: sum(bool(_worker_id(space, p)) for p in procs) > 1, 120)
        platform.paused = paused[i]
        wait_until(lambda w=worker_id: _in_request(space, platform, w), 120)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        platform.paused = False
        procs[i] = spawn(concurrency=16, grace_seconds=10, **SETTINGS)
    states = space.wait_terminal(ids, timeout=90)

    assert states == {"published": POSTS}                      # nothing lost, nothing stuck
    copies = platform.created_counts()
    assert len(copies) == POSTS and set(copies.values()) == {1}  # each post out exactly once
    with Session(space.engine) as sess:
        posts = sess.execute(sa.select(Post.id, Post.text, Post.idempotency_key,
                                       Post.schedule_at, Post.provider_post_id)
                             .where(Post.id.in_(ids))).all()
    records = {text: (at, status_id) for text, at, status_id, *_ in platform.records}
    for post in posts:
        at, status_id = records[post.text]
        assert status_id == post.provider_post_id               # what we say is out, is
        assert at >= post.schedule_at.timestamp()               # never before its time

    released, ended, published = _handovers(space, ids)
    # A post is sent once more each time it is handed over mid-request (with the same
    # Idempotency-Key, so the platform answers with the status it made); others exactly once.
    for post in posts:
        sent = platform.keys[f"{post.idempotency_key}-0"]
        assert 1 <= sent <= 1 + len(ended.get(post.id, ()))
    # Handed over by stopping workers and published by another: none was left to expire.
    stopped_actors = {f"worker:{w}" for w in worker_ids}
    for pid in set(released) | set(ended):
        actors = set(released.get(pid, []) + ended.get(pid, []))
        assert actors <= stopped_actors and published[pid] not in actors

    summaries = [_shutdown_summary(proc) for proc in stopped]
    finished, _queued, handed = summaries[0]
    assert finished > 0 and handed == 0                         # time enough: all finished
    assert all(handed > 0 for _f, _q, handed in summaries[1:])  # too little: handed over
    assert sum(q for _f, q, _h in summaries) == sum(map(len, released.values()))
    assert sum(h for _f, _q, h in summaries) == sum(map(len, ended.values()))
