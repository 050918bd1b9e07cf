"""A rate limit holds when many processes count at once (real commits, one row per window)."""

import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ops.ratelimit import Limit, hit


@pytest.mark.concurrency
def test_exactly_the_limit_gets_through(engine):
    key, results, barrier = f"test:{uuid.uuid4().hex}", [], threading.Barrier(12)

    def attempt():
        with Session(engine) as sess:
            barrier.wait(timeout=10)
            for _ in range(3):
                results.append(hit(sess, key, Limit(10, 86400)))

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert len(results) == 36
        assert sum(1 for r in results if r is None) == 10
        assert all(0 < r <= 86400 for r in results if r is not None)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM rate_limits WHERE key = :k"), {"k": key})
