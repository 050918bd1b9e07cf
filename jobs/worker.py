"""A publishing worker: claim due posts, publish them on bounded threads, settle in batches."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import secrets
import socket
import threading
import time
import uuid
from typing import Any

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session

from app.analytics import service as analytics
from app.channels import service as channels
from app.channels.models import Channel
from app.ops import metrics
from app.posts import lifecycle, publishing
from jobs import heartbeat, outbox
from jobs.attempt import AttemptRunner, Outcome, release
from jobs.backoff import Backoff
from jobs.claims import ChannelInfo, Claim, load_channels, load_media
from jobs.clock import SYSTEM, Clock
from jobs.config import EngineConfig
from jobs.dispatch import Dispatcher
from jobs.listener import listen
from jobs.liveness import Liveness
from jobs.maintenance import Maintenance
from jobs.scheduler import SchedulerHolder

log = logging.getLogger(__name__)
Work = tuple[Claim, ChannelInfo | None]  # a claimed post and its channel, for a publish thread


class Worker:
    """One process's engine; several (anywhere) share the work through the database claim."""

    def __init__(self, engine: sa.Engine, cfg: EngineConfig | None = None,
                 worker_id: str | None = None, clock: Clock = SYSTEM):
        self.engine, self.cfg = engine, cfg or EngineConfig.from_env()
        self.clock = clock  # lease ages, the fence, rate limits (jobs/clock.py)
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.actor = f"worker:{self.id}"
        self.runner = AttemptRunner(engine, self.cfg)
        # The publish threads take their posts from this queue (None: stop).
        self.jobs: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        self.publishers: list[threading.Thread] = []
        self.dispatcher = Dispatcher(self.cfg.concurrency, self.cfg.channel_limit,
                                     self.cfg.platform_share, self._start, clock.now)
        self.results: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self.held: dict[uuid.UUID, float] = {}  # claim token -> clock time its lease was last set
        self.held_lock = threading.Lock()
        self.claimed = 0
        self.lost_races, self.expect_due = 0, False  # due posts another worker claimed first
        # Posts held (running + queued) at most, and the smallest claim worth a statement
        # while work is queued: every claim and every settle has a fixed cost, so they work
        # in batches; a lone due post is still claimed at once.
        self.capacity = max(4 * self.cfg.concurrency, self.cfg.batch)
        self.min_claim = max(1, min(self.cfg.batch, self.capacity // 2))
        self.wake, self.stopping = threading.Event(), threading.Event()
        self.settled = threading.Event()
        self.tick_lock = threading.Lock()  # no heartbeat nor lease renewal after the shutdown
        # This process's own wake-ups (tick, outbox work queues), in memory; the deployment's
        # duties are jobs of the one scheduler on the job store, run where it is held.
        self.liveness = Liveness(engine, self.id)
        # Time (self.clock.monotonic) until which this worker may start platform calls: its last
        # confirmed beat plus the fence (jobs/config.py); past it, others may soon reclaim its posts.
        self.fence_until = 0.0
        self.fenced = 0  # claims given back because the fence had passed
        self.revoked: set[uuid.UUID] = set()  # tokens found taken over after the fence had passed
        self.maintenance = Maintenance(engine, self.cfg, self.runner)
        self.scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1})
        self.holder = SchedulerHolder(engine, self.cfg, self.maintenance)
        self.threads: list[threading.Thread] = []

    # -- lifecycle of the worker ------------------------------------------------------------

    def start(self) -> None:
        for noisy in ("apscheduler", "httpx", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        self.scheduler.add_job(self._tick, "interval", seconds=self.cfg.tick_seconds, id="tick")
        # Webhook deliveries and media renditions: every process takes its share (their rows
        # are claimed with SKIP LOCKED), each duty on its own schedule so none holds up another.
        for name, duty in outbox.DUTIES if self.cfg.housekeeping else ():
            if name not in outbox.EVERY_WORKER:
                continue
            self.scheduler.add_job(outbox.run_duty, "interval", args=(name, duty), seconds=1,
                                   id=f"outbox-{name}")
        self._warm_up()
        self._tick()  # the liveness lock and the first heartbeat come before any claim
        self.scheduler.start()
        self.holder.start()  # a candidate for the deployment's scheduler
        for target in (self._claim_loop, self._settle_loop,
                       lambda: listen(self.engine, self.wake, self.stopping)):
            thread = threading.Thread(target=target, daemon=True, name=f"engine-{len(self.threads)}")
            thread.start()
            self.threads.append(thread)
        log.info("worker %s started (concurrency %d)", self.id, self.cfg.concurrency)

    def _warm_up(self) -> None:
        """Import, configure and start now what the first burst would otherwise pay for:
        modules imported lazily, the ORM mappers, every publish thread with its HTTP client."""
        import app.models  # noqa: F401
        import app.notifications.service  # noqa: F401
        import app.posts.serialize  # noqa: F401

        sa.orm.configure_mappers()
        ready = threading.Barrier(self.cfg.concurrency + 1)
        for n in range(self.cfg.concurrency):
            thread = threading.Thread(target=self._publish_loop, args=(ready,), daemon=True,
                                      name=f"publish-{n}")
            thread.start()
            self.publishers.append(thread)
        with contextlib.suppress(threading.BrokenBarrierError):
            ready.wait(10)

    def _publish_loop(self, ready: threading.Barrier) -> None:
        self.runner.client()
        with contextlib.suppress(threading.BrokenBarrierError):
            ready.wait(10)
        while (item := self.jobs.get()) is not None:
            try:
                self._work(item)
            except Exception:  # a publish thread must outlive any one post
                log.exception("publish thread: unexpected error")

    def stop(self, grace: float | None = None) -> None:
        """Stop claiming, give unstarted posts back, let running ones finish within the grace
        period, and end the leases of any still running so the next claim reconciles them."""
        if self.stopping.is_set():
            return
        grace = self.cfg.grace_seconds if grace is None else grace
        log.info("worker %s stopping (grace %gs)", self.id, grace)
        self.stopping.set()
        self.wake.set()
        self.threads[0].join(10)
        queued = self.dispatcher.drain()
        for claim, _channel in queued:
            self.results.put(release(claim, "shutdown", delay=0, refund=1))
        in_flight = self.dispatcher.running
        deadline = time.monotonic() + grace
        while self.dispatcher.running > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.settled.set()  # past the grace: settle what has come back, then stop settling
        self.threads[1].join(10)
        self._finish_shutdown(in_flight, len(queued))

    def _finish_shutdown(self, in_flight: int, queued: int) -> None:
        with self.held_lock:
            leftover = list(self.held)
        handed = 0
        try:
            with self.tick_lock, Session(self.engine) as sess, sess.begin():
                handed = publishing.expire_leases(sess, leftover, actor=self.actor)
                if handed or queued:
                    lifecycle.notify_due(sess)  # the other workers take them over at once
                heartbeat.stopped(sess, self.id, self.claimed)
        except sa.exc.DBAPIError as exc:
            log.warning("could not record the shutdown (%s); the leases of %d post(s) will "
                        "expire", exc.__class__.__name__, len(leftover))
        self.scheduler.shutdown(wait=False)
        self.holder.stop()
        self.liveness.release()
        for _thread in self.publishers:
            self.jobs.put(None)
        log.log(logging.WARNING if handed else logging.INFO,
                "worker %s stopped: %d in flight finished, %d queued released, %d in flight "
                "handed over%s", self.id, max(0, in_flight - len(leftover)), queued, handed,
                " (past the grace period: the next worker reconciles them with the platform)"
                if handed else "")

    # -- claiming ---------------------------------------------------------------------------

    def _claim_loop(self) -> None:
        backoff = Backoff("claim")
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                claimed, limit, due_in = self._claim_once()
                backoff.ok()
                if claimed and claimed >= limit:
                    continue
                if claimed or not limit:
                    self.lost_races = 0
                elif self.expect_due:
                    self.lost_races += 1
                wait = self._wait_after(claimed, limit, due_in)
            except sa.exc.DBAPIError as exc:
                self.stopping.wait(backoff.fail(exc))  # a wake-up must not hasten a reconnect
                continue
            except Exception:  # never let one bad row stop the claiming
                log.exception("claim failed")
                wait = self.cfg.tick_seconds
            self.wake.wait(wait)

    def _claim_once(self) -> tuple[int, int, float | None]:
        """(posts claimed, most it could take, seconds until the next is due when it did not
        fill up), in one transaction."""
        # Keep a few batches' worth queued so threads never wait for a claim, but claim in
        # chunks: a statement's fixed cost is worth paying for many posts at once.
        limit = self._claim_limit(self.dispatcher.size())
        if not limit or not self._unfenced():
            return 0, 0, None
        began = time.monotonic()
        with Session(self.engine) as sess, sess.begin():
            rows = lifecycle.claim_due(sess, self.id, limit, self.cfg.lease_seconds)
            due_in = publishing.next_due_in(sess) if len(rows) < limit else None
            if not rows:
                return 0, limit, due_in
            media = load_media(sess, rows)
            found = load_channels(sess, {r.channel_id for r in rows},
                                  self.cfg.refresh_margin_seconds)
        log.debug("claimed %d/%d in %.1f ms", len(rows), limit, (time.monotonic() - began) * 1000)
        metrics.observe_claim_batch(len(rows))
        now = self.clock.monotonic()
        with self.held_lock:
            self.held.update((r.claim_token, now) for r in rows)
        self.claimed += len(rows)
        for row in rows:
            channel = found.get(row.channel_id)
            self.dispatcher.submit((Claim.from_row(row, media), channel),
                                   channel.platform if channel else "-", row.channel_id)
        return len(rows), limit, due_in

    def _claim_limit(self, queued: int) -> int:
        """How many posts a claim may take now (0: none is worth a statement yet)."""
        limit = min(self.cfg.batch, self.capacity - queued)
        return 0 if limit <= 0 or (queued and limit < self.min_claim) else limit

    def _wait_after(self, claimed: int, limit: int, due_in: float | None) -> float:
        """Sleep until the next post is due (database clock), a notification, or the tick."""
        if not limit or due_in is None:  # full up, or nothing scheduled at all
            self.expect_due = False
            return self.cfg.tick_seconds
        # Every worker sleeps until the next due time, but one that keeps finding the post
        # already taken wakes a little later each time: a single worker then serves a trickle
        # of posts to the millisecond while the others join within a tick when work piles up.
        herd = min(self.cfg.tick_seconds, 0.025 * 2 ** min(self.lost_races, 6)
                   ) if self.lost_races else 0.0
        wait = max(due_in + 0.001, 0.0 if claimed else 0.02) + herd
        self.expect_due = wait < self.cfg.tick_seconds
        return min(self.cfg.tick_seconds, wait)

    # -- publishing -------------------------------------------------------------------------

    def _start(self, item: Work) -> None:
        self.jobs.put(item)

    def _work(self, item: Work) -> None:
        claim, channel = item
        try:
            blocked = self.dispatcher.blocked_until(claim.channel_id)
            if claim.token in self.revoked:
                outcome = Outcome(claim, "drop")
            elif not self._unfenced():
                # No confirmed beat for too long (a partition from the database, say): another
                # worker may reclaim this post any moment, so it is not sent; the release is
                # fenced by the claim token and refused if it was taken over meanwhile.
                self.fenced += 1
                outcome = release(claim, "fenced", delay=0, refund=1)
            elif blocked:
                outcome = release(claim, "rate_limited", at=blocked, refund=1)
            else:
                outcome = self.runner.run(claim, channel)
            if outcome.blocked_until:
                self.dispatcher.block(claim.channel_id, outcome.blocked_until)
            self.results.put(outcome)
        finally:
            self.dispatcher.done(channel.platform if channel else "-", claim.channel_id)
            if self._claim_limit(self.dispatcher.size()):
                self.wake.set()  # only when the claim loop would claim: a wake-up costs too

    # -- settling ---------------------------------------------------------------------------

    def _settle_loop(self) -> None:
        backoff, batch = Backoff("finalize"), list[Outcome]()
        while True:
            if not batch:
                try:
                    batch.append(self.results.get(timeout=0.1))
                except queue.Empty:
                    if self.settled.is_set():
                        return
                    continue
            linger = time.monotonic() + 0.005  # a few ms more make a batch worth its commit
            while len(batch) < 500:
                try:
                    batch.append(self.results.get(timeout=max(0.0, linger - time.monotonic())))
                except queue.Empty:
                    break
            try:
                self._settle(batch)
                backoff.ok()
                batch = []
            except sa.exc.DBAPIError as exc:
                if self.settled.is_set() and backoff.delay >= 5:
                    return  # shutting down with no database: leases expire, posts reconcile
                time.sleep(backoff.fail(exc))

    def _settle(self, batch: list[Outcome]) -> None:
        began = time.monotonic()
        finishes = [o.data for o in batch if o.kind == "finish"]
        releases = [o.data for o in batch if o.kind == "release"]
        with Session(self.engine) as sess, sess.begin():
            finished = {r.id: r for r in lifecycle.finish_many(sess, finishes, actor=self.actor)}
            # Published posts get their measurements scheduled (no state, event or audit row).
            analytics.schedule_published(sess, [i for i, r in finished.items()
                                                if r.state == "published"])
            accepted = set(finished) | publishing.release_many(sess, releases, actor=self.actor)
            for channel_id, reason in {o.claim.channel_id: o.disconnect for o in batch
                                       if o.disconnect and o.claim.id in accepted}.items():
                channel = sess.get(Channel, channel_id, with_for_update=True)
                if channel is not None:  # not deleted meanwhile
                    channels.mark_disconnected(sess, channel, reason)
        log.debug("settled %d in %.1f ms", len(batch), (time.monotonic() - began) * 1000)
        _observe(batch, finished, accepted)
        refused = [o for o in batch if o.kind != "drop" and o.claim.id not in accepted]
        for outcome in refused:
            log.warning("post %s: result refused, its lease was taken over", outcome.claim.id)
        with self.held_lock:
            for outcome in batch:
                self.held.pop(outcome.claim.token, None)
                self.revoked.discard(outcome.claim.token)

    # -- ticking ----------------------------------------------------------------------------

    def _tick(self) -> None:
        """Heartbeat, renew the leases held, and wake the claim loop."""
        with self.tick_lock:
            if not self.settled.is_set():
                self._beat()
        self.wake.set()

    def _unfenced(self) -> bool:
        return self.clock.monotonic() < self.fence_until

    def _beat(self) -> None:
        now = self.clock.monotonic()
        # The lock first: a worker back from a PostgreSQL restart or a lost link retakes it
        # before it beats or renews anything (liveness.py).
        if not self.liveness.confirm():
            return
        # Past the fence, others may have reclaimed what this worker holds: every claim is
        # checked (renewed, or given up when taken over), not only those due for renewal.
        lapsed = now >= self.fence_until
        try:
            kept, stale = self._renew(now, lapsed, beat=True)
            if not lapsed and self.clock.monotonic() >= self.fence_until:
                lapsed = True  # it ran out while this beat waited for the database
                kept, stale = self._renew(now, lapsed)
            self.fence_until = now + self.cfg.fence_seconds
            with self.held_lock:
                lost = [t for t in stale if t not in kept and t in self.held]
                for token in kept:
                    if token in self.held:
                        self.held[token] = now
                if lapsed:
                    self.revoked.update(lost)  # not sent: their new owner reconciles them
            if lost:  # settled meanwhile is fine; still held but not renewed means taken over
                log.warning("%d lease(s) were taken over by other workers", len(lost))
        except sa.exc.DBAPIError as exc:
            log.warning("tick skipped: database unavailable (%s)", exc.__class__.__name__)

    def _renew(self, now: float, every: bool, beat: bool = False
               ) -> tuple[set[uuid.UUID], list[uuid.UUID]]:
        """Renew the leases held (all, or those a third of a lease old); with `beat`, also
        the heartbeat and the reclaim of dead workers' posts. Returns (kept, tried)."""
        with self.held_lock:
            stale = [t for t, at in self.held.items()
                     if every or now - at > self.cfg.lease_seconds / 3]
        gone: list[str] = []
        ended = 0
        with Session(self.engine) as sess, sess.begin():
            if beat:
                heartbeat.beat(sess, self.id, self.claimed, len(self.held))
            kept = publishing.renew_leases(sess, stale, self.cfg.lease_seconds)
            if beat:
                gone, ended = publishing.reclaim_dead(sess, self.cfg.dead_after,
                                                      actor=self.actor)
                if ended:
                    lifecycle.notify_due(sess)  # every worker takes them over at once
        if gone:
            log.warning("worker(s) %s gone (liveness lock free, no heartbeat): %d post(s) to "
                        "reconcile now", ", ".join(gone), ended)
        return kept, stale


def _observe(batch: list[Outcome], finished: dict[uuid.UUID, Any], accepted: set[uuid.UUID]
             ) -> None:
    """Publish durations, lateness (database clock), retries and failures, for /metrics."""
    for outcome in batch:
        if outcome.claim.id not in accepted:
            continue
        if outcome.kind == "release":
            metrics.count_retry(outcome.platform)
            continue
        row = finished.get(outcome.claim.id)
        if row is None:
            continue
        if row.state == "published":
            lateness = (row.published_at - row.schedule_at).total_seconds() \
                if row.published_at and row.schedule_at else 0.0
            metrics.observe_publish(outcome.platform, outcome.seconds, lateness)
        else:
            metrics.count_failure(row.error_code or "platform_error")
