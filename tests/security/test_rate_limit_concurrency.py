"""A rate limit holds when many processes count at once (real commits, one row per window)."""

import multiprocessing
import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ops.ratelimit import Limit, hit


@pytest.fixture
def key(engine):
    """A fresh limit key; its counters are deleted afterwards (these tests really commit)."""
    name = f"test:{uuid.uuid4().hex}"
    yield name
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM rate_limits WHERE key = :k"), {"k": name})


def _race(engine, key: str, limit: Limit, threads: int, each: int) -> list[int | None]:
    """`threads` sessions of one process, released together, each counting `each` requests."""
    results, barrier = [], threading.Barrier(threads)

    def attempt():
        with Session(engine) as sess:
            barrier.wait(timeout=10)
            results.extend(hit(sess, key, limit) for _ in range(each))

    running = [threading.Thread(target=attempt) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join(timeout=60)
    return results


def _waits_are_within_the_window(results, window_s: int) -> bool:
    return all(0 < r <= window_s for r in results if r is not None)


@pytest.mark.concurrency
def test_exactly_the_limit_gets_through(engine, key):
    results = _race(engine, key, Limit(10, 86400), threads=12, each=3)
    assert len(results) == 36
    assert sum(1 for r in results if r is None) == 10
    assert _waits_are_within_the_window(results, 86400)


@pytest.mark.concurrency
def test_a_busy_limit_counted_in_slices_still_holds_within_a_process(engine, key):
    limit = Limit(1005, 86400)  # reserved 10 at a time, the last slice only 5
    results = _race(engine, key, limit, threads=12, each=100)
    assert len(results) == 1200
    assert sum(1 for r in results if r is None) == 1005  # one process wastes no slice
    assert _waits_are_within_the_window(results, 86400)


def _hits(url: str, key: str, limit: Limit, times: int) -> list[int | None]:
    """One web process's view: its own engine, session and reserved slices."""
    from app import db

    engine = db.make_engine(url, pool_size=1)
    try:
        with Session(engine) as sess:
            return [hit(sess, key, limit) for _ in range(times)]
    finally:
        engine.dispose()


@pytest.mark.concurrency
def test_a_busy_limit_counted_in_slices_holds_across_processes(database_url, key):
    limit, processes = Limit(1005, 86400), 3
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.starmap(_hits, [(database_url, key, limit, 500)] * processes)
    results = [r for part in parts for r in part]
    allowed = sum(1 for r in results if r is None)
    # Never more than the limit; at most one slice per other process left unspent.
    assert limit.count - (processes - 1) * (limit.slice - 1) <= allowed <= limit.count
    assert _waits_are_within_the_window(results, 86400)
