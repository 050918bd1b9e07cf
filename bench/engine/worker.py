"""A worker publishing to the loopback platform: `openpost bench-worker`, which the publishing
benchmark and the engine tests start as their worker processes."""

from __future__ import annotations

import os


def main(concurrency: int | None, no_idempotency: bool = False) -> None:
    """Run a worker whose Mastodon publisher is the loopback one (`NoKeyPublisher` with
    `no_idempotency`: a platform without idempotency keys nor look-ups); housekeeping off, so
    the figures are publishing's alone."""
    from app.platforms.registry import PUBLISHERS
    from bench.engine.publisher import LoopbackPublisher, NoKeyPublisher
    from jobs import runner

    PUBLISHERS[LoopbackPublisher.platform] = NoKeyPublisher if no_idempotency \
        else LoopbackPublisher
    os.environ.setdefault("OPENPOST_HOUSEKEEPING", "0")
    runner.run_worker(concurrency)
