"""Prometheus metrics: what the engine observes while publishing, and gauges read at scrape time.

With several worker processes, set PROMETHEUS_MULTIPROC_DIR (an empty directory, before the
processes start) and every process's counters and histograms are summed at scrape time. The
database-backed gauges (posts by state, outbox depth, live workers) are always computed when
/metrics is scraped, so they are right whichever process answers.
"""

from __future__ import annotations

import logging
import os

import sqlalchemy as sa
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.orm import Session

from app import config
from app.outbox.models import KINDS
from app.posts.models import STATES

PUBLISH_DURATION = Histogram(
    "openpost_publish_duration_seconds", "Time spent publishing one post, per platform",
    ["platform"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120))
PUBLISH_LATENESS = Histogram(
    "openpost_publish_lateness_seconds", "How long after its schedule_at a post went out",
    ["platform"], buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900))
RETRIES = Counter("openpost_publish_retries", "Publish attempts retried, per platform",
                  ["platform"])
FAILURES = Counter("openpost_publish_failures", "Posts that failed, per error code", ["code"])
CLAIM_BATCH = Histogram("openpost_claim_batch_size", "Posts claimed by one claim statement",
                        buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200, 500))

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
log = logging.getLogger(__name__)


def observe_publish(platform: str, duration_s: float, lateness_s: float) -> None:
    PUBLISH_DURATION.labels(platform=platform).observe(max(duration_s, 0.0))
    PUBLISH_LATENESS.labels(platform=platform).observe(max(lateness_s, 0.0))


def count_retry(platform: str) -> None:
    RETRIES.labels(platform=platform).inc()


def count_failure(code: str) -> None:
    FAILURES.labels(code=code).inc()


def observe_claim_batch(n: int) -> None:
    CLAIM_BATCH.observe(n)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def start_worker_exporter() -> int | None:
    """Serve this worker's metrics on OPENPOST_WORKER_METRICS_PORT (for workers on machines
    without `openpost web`); returns the port, or None when the variable is unset or the port
    is taken (by another worker of the machine: with PROMETHEUS_MULTIPROC_DIR it serves the
    sum of them all)."""
    port = config.settings().worker_metrics_port
    if not port:
        return None
    from prometheus_client import start_http_server

    registry = REGISTRY
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    host = config.settings().worker_metrics_host
    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        log.log(logging.INFO if multiprocess_dir() else logging.WARNING,
                "metrics not served on %s:%d (%s)%s", host, port, exc.strerror or exc,
                "; another process of this machine serves them" if multiprocess_dir() else "")
        return None
    log.info("metrics on http://%s:%d/metrics", host, port)
    return port


class _ThisProcess:
    """This process's own metrics (the default registry), when not in multiprocess mode."""

    def collect(self):
        yield from REGISTRY.collect()


class _Database:
    """Gauges read from PostgreSQL at scrape time."""

    def __init__(self, sess: Session):
        self.sess = sess

    def collect(self):
        from app.ops import alarm
        from app.outbox.models import OutboxMessage
        from app.posts.models import Post

        counts = dict(self.sess.execute(sa.select(Post.state, sa.func.count())
                                        .group_by(Post.state)).all())
        posts = GaugeMetricFamily("openpost_posts", "Posts by state", labels=["state"])
        for state in STATES:
            posts.add_metric([state], counts.get(state, 0))
        yield posts
        pending = dict(self.sess.execute(
            sa.select(OutboxMessage.kind, sa.func.count())
            .where(OutboxMessage.processed_at.is_(None)).group_by(OutboxMessage.kind)).all())
        outbox = GaugeMetricFamily("openpost_outbox_pending",
                                   "Outbox messages not yet delivered, by kind", labels=["kind"])
        for kind in KINDS:
            outbox.add_metric([kind], pending.get(kind, 0))
        yield outbox
        yield from self._alarm(alarm.status(self.sess))

    @staticmethod
    def _alarm(status):
        yield GaugeMetricFamily("openpost_workers_live", "Workers that ticked in the last minute",
                                value=status.live_workers)
        yield GaugeMetricFamily("openpost_posts_overdue",
                                "Scheduled posts more than a minute past due",
                                value=status.overdue)
        yield GaugeMetricFamily("openpost_alarm", "1 when posts are not being published",
                                value=int(status.alarming))
        if status.last_tick_at is not None:
            yield GaugeMetricFamily("openpost_worker_last_tick_age_seconds",
                                    "Seconds since any worker last ticked",
                                    value=(status.now - status.last_tick_at).total_seconds())


def exposition(sess: Session) -> bytes:
    """The Prometheus text page: process metrics (all processes in multiprocess mode) + DB."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_Database(sess))
    return generate_latest(registry)
