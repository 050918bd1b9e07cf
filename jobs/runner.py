"""Starting the engine: as its own process (`openpost worker`) or inside `openpost serve`."""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading

import sqlalchemy as sa

from jobs.config import EngineConfig
from jobs.worker import Worker

log = logging.getLogger(__name__)


def _engine(cfg: EngineConfig) -> sa.Engine:
    """Connections for the claim, settle, tick and sweep loops, and for threads saving parts."""
    from app import db

    return db.make_engine(db.database_url(), pool_size=6 + cfg.concurrency // 2,
                          max_overflow=cfg.concurrency)


def run_worker(concurrency: int | None = None) -> None:
    """Run until SIGTERM or SIGINT, then shut down gracefully and exit."""
    from app import logs

    logs.setup()
    from app import db
    from app.ops import metrics

    metrics.start_worker_exporter()  # when OPENPOST_WORKER_METRICS_PORT is set
    cfg = EngineConfig.from_env(concurrency=concurrency)
    engine = _engine(cfg)
    db.configure_engine(engine)  # media conversion, outbox and alarm work through db.session
    worker = Worker(engine, cfg)
    requested = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: requested.set())
    worker.start()
    while not requested.wait(1.0):
        pass
    worker.stop()
    logging.shutdown()
    # Publish threads still inside an HTTP call past the grace period must not hold the exit:
    # their leases were ended, and the next worker reconciles those posts.
    os._exit(0)


def start_in_process() -> Worker:
    """Start the engine on background threads of this (web) process; stopped at exit."""
    cfg = EngineConfig.from_env()
    worker = Worker(_engine(cfg), cfg)
    worker.start()
    atexit.register(worker.stop)
    return worker
