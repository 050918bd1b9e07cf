"""Per-channel and per-platform limits, heartbeats, and the engine inside `openpost serve`."""

from sqlalchemy.orm import Session

from app.ops.models import WorkerHeartbeat
from jobs.dispatch import Dispatcher
from tests.engine.conftest import wait_until


def _dispatcher(concurrency=4, channel_limit=2, share=0.75):
    started = []
    return Dispatcher(concurrency, channel_limit, share, started.append), started


def test_one_channel_never_takes_more_than_its_limit():
    dispatcher, started = _dispatcher(concurrency=4, channel_limit=2)
    for i in range(5):
        dispatcher.submit(f"slow-{i}", "x", "slow-channel")
    dispatcher.submit("other", "x", "other-channel")
    assert started == ["slow-0", "slow-1", "other"]
    dispatcher.done("x", "slow-channel")
    assert started[-1] == "slow-2"


def test_a_slow_platform_leaves_threads_for_the_others():
    dispatcher, started = _dispatcher(concurrency=4, channel_limit=10, share=0.75)
    for i in range(8):
        dispatcher.submit(f"x-{i}", "x", f"x-channel-{i}")
    assert started == ["x-0", "x-1", "x-2"]   # x hangs: it still holds only 3 of 4 threads
    dispatcher.submit("bsky-0", "bluesky", "b-channel")
    dispatcher.submit("bsky-1", "bluesky", "b-channel")
    assert started[3:] == ["bsky-0"]          # so bluesky publishes at once
    dispatcher.done("bluesky", "b-channel")
    assert started[-1] == "bsky-1"
    dispatcher.done("x", "x-channel-0")
    assert started[-1] == "x-3"
    assert dispatcher.size() == 4 + 4


def test_heartbeats_show_each_worker_and_its_work(space, platform, loopback, workers):
    channel = space.channel(platform.base_url)
    platform.paused = True  # the three stay inside their platform calls until the test is done
    ids = space.posts([channel], n=3)
    [worker] = workers(1, http_timeout_seconds=600)

    def heartbeat():
        with Session(space.engine) as sess:
            beat = sess.get(WorkerHeartbeat, worker.id)
        return beat if beat and beat.in_flight == 3 else None

    beat = wait_until(heartbeat, 30)
    assert beat.pid > 0 and beat.host and beat.version and beat.stopped_at is None
    assert (beat.in_flight, beat.posts_claimed) == (3, 3)
    platform.paused = False
    assert space.wait_terminal(ids) == {"published": 3}
    worker.stop(grace=1)
    with Session(space.engine) as sess:
        beat = sess.get(WorkerHeartbeat, worker.id)
        assert beat.stopped_at is not None and beat.in_flight == 0
