"""Engine fixtures: real commits, a loopback platform over real HTTP, workers, cleanup."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import db
from app.platforms.registry import PUBLISHERS
from app.posts.models import Post
from bench.engine import data, fleet
from bench.engine.fakeplatform import FakePlatform
from bench.engine.publisher import LoopbackPublisher
from jobs.clock import Clock
from jobs.config import EngineConfig
from jobs.worker import Worker
from tests.conftest import ROOT

pytestmark = pytest.mark.concurrency

FAST = {"tick_seconds": 0.2, "lease_seconds": 3.0, "retry_base_seconds": 0.2,
        "grace_seconds": 3.0, "maintenance_seconds": 0.5, "http_timeout_seconds": 10.0,
        "housekeeping": False}  # the outbox and alarm have tests of their own


@pytest.fixture(scope="session")
def pg(database_url):
    """An engine with room for several in-process workers."""
    engine = db.make_engine(database_url, pool_size=40, max_overflow=20)
    yield engine
    engine.dispose()


def sweep_once(pg) -> None:
    """One run of every sweep the scheduler's duties do (token refresh included)."""
    from jobs.attempt import AttemptRunner
    from jobs.maintenance import Maintenance

    cfg = EngineConfig(refresh_margin_seconds=300)
    Maintenance(pg, cfg, AttemptRunner(pg, cfg)).run()


@pytest.fixture
def platform():
    fake = FakePlatform()
    fake.start_in_thread()
    yield fake
    fake.stop()


@pytest.fixture
def loopback(monkeypatch):
    monkeypatch.setitem(PUBLISHERS, "mastodon", LoopbackPublisher)
    return LoopbackPublisher


@pytest.fixture
def space(pg, app):
    """A committed workspace, deleted (with everything in it) after the test."""
    with Session(pg) as sess:
        workspace_id = data.make_workspace(sess)
    yield Space(pg, workspace_id)
    with Session(pg) as sess:
        data.drop_workspace(sess, workspace_id)


class Space:
    def __init__(self, engine, workspace_id):
        self.engine, self.workspace_id = engine, workspace_id

    def channel(self, base_url: str, **kw) -> uuid.UUID:
        with Session(self.engine) as sess:
            return data.make_channel(sess, self.workspace_id, base_url, **kw)

    def posts(self, channel_ids, n: int = 1, due_in: float = 0.0, parts: int = 1,
              prefix: str = "post") -> list[uuid.UUID]:
        with Session(self.engine) as sess:
            now = sess.scalar(sa.select(sa.func.now()))
            times = [now + timedelta(seconds=due_in)] * n
            return data.make_posts(sess, self.workspace_id, list(channel_ids), times,
                                   prefix=prefix, parts=parts)

    def states(self, ids) -> dict[str, int]:
        with Session(self.engine) as sess:
            rows = sess.execute(sa.select(Post.state, sa.func.count()).where(Post.id.in_(ids))
                                .group_by(Post.state)).all()
        return dict(rows)

    def post(self, post_id) -> Post:
        with Session(self.engine, expire_on_commit=False) as sess:
            return sess.get(Post, post_id)

    def wait_terminal(self, ids, timeout: float = 60.0) -> dict[str, int]:
        deadline = time.monotonic() + timeout
        while True:
            states = self.states(ids)
            if not states.get("scheduled") and not states.get("publishing"):
                return states
            if time.monotonic() > deadline:
                return states
            time.sleep(0.1)


@pytest.fixture
def workers(pg):
    """Start in-process workers; every one is stopped at the end of the test."""
    started: list[Worker] = []

    @contextlib.contextmanager
    def noop():
        yield

    def start(n: int = 1, clock: Clock | None = None, prepare=None, **overrides) -> list[Worker]:
        """`clock`: the workers' own clock (a MovedClock); `prepare(worker)` runs before start."""
        cfg = EngineConfig(**{**FAST, **overrides})
        for _ in range(n):
            worker = Worker(pg, cfg, worker_id=f"test-{uuid.uuid4().hex[:6]}",
                            **({"clock": clock} if clock else {}))
            if prepare is not None:
                prepare(worker)
            worker.start()
            started.append(worker)
        return started[-n:]

    yield start
    for worker in started:
        worker.stop(grace=1.0)
    forget_workers(pg, ids=[w.id for w in started])


@pytest.fixture
def spawn(database_url, tmp_path, pg):
    """Start real worker processes (`openpost worker` publishing to the loopback platform);
    each one's log is at `proc.log_path`. Any still running at the end is killed."""
    def start(concurrency=4, *, args=(), url=None, **settings):
        env = {**os.environ, "DATABASE_URL": url or database_url, "OPENPOST_LOG_LEVEL": "INFO",
               **{f"OPENPOST_{k.upper()}": str(v) for k, v in settings.items()}}
        path = tmp_path / f"worker-{len(procs)}.log"
        with open(path, "w") as log:
            proc = subprocess.Popen([sys.executable, "-m", "app.cli",  # noqa: S603
                                     "bench-worker", "--concurrency", str(concurrency), *args],
                                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        proc.log_path = path
        procs.append(proc)
        return proc

    procs: list[subprocess.Popen] = []
    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    forget_workers(pg, pids=[p.pid for p in procs])


@pytest.fixture
def private_server():
    """A PostgreSQL server of this test's own, so it can be restarted; removed afterwards."""
    with fleet.private_server(ROOT / ".test-pg-restart" / secrets.token_hex(4),
                              "restart") as (url, restart):
        db.upgrade(url)
        yield url, restart


class MovedClock(Clock):
    """A worker's clock that a test moves forward: the system clock plus the seconds the test
    made pass at once (`advance`), instead of sleeping until they have."""

    def __init__(self) -> None:
        self.offset = 0.0

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)


class Sleeps(threading.Event):
    """A worker's wake-up event (`worker.wake`) that tells when its claim loop has gone to sleep,
    and for how long it meant to."""

    def __init__(self) -> None:
        super().__init__()
        self.asleep = threading.Event()
        self.timeouts: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.timeouts.append(timeout)
        self.asleep.set()
        return super().wait(timeout)


def leases_pass(engine, ids, seconds: float | None = None) -> None:
    """Make `seconds` of the posts' leases pass at once, as waiting would (the database decides
    expiry: `lease_until < now()`); without `seconds`, their leases run out."""
    shift = "now() - interval '1 second'" if seconds is None else \
        "lease_until - make_interval(secs => :s)"
    with Session(engine) as sess, sess.begin():
        sess.execute(sa.text(f"UPDATE posts SET lease_until = {shift} "  # noqa: S608
                             "WHERE id = ANY(:ids) AND lease_until IS NOT NULL"),
                     {"ids": list(ids), "s": seconds})


def wait_until(predicate, timeout: float):
    """Poll until `predicate()` is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def forget_workers(engine, ids=(), pids=()) -> None:
    """Remove the heartbeat rows of workers a test started."""
    from app.ops.models import WorkerHeartbeat

    with Session(engine) as sess:
        sess.execute(sa.delete(WorkerHeartbeat).where(sa.or_(
            WorkerHeartbeat.id.in_(list(ids)), WorkerHeartbeat.pid.in_(list(pids)))))
        sess.commit()
