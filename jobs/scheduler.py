"""The one scheduler of a deployment: which process runs it, and running it there.

Every engine process (`openpost worker`, `openpost serve`) is a candidate. Each keeps one
dedicated connection and asks `pg_try_advisory_lock(LOCK)` on it every RETRY_SECONDS; the one
that gets the (session-level) lock is the holder for as long as that connection lives. It
then LISTENs on the wake channel, makes sure every duty of jobs/duties.py is in the store
(keeping the next run of those already there), starts an APScheduler BackgroundScheduler on
the job store and writes itself into `scheduler_holder`. When the holder dies, its connection
closes, PostgreSQL frees the lock and the next candidate takes over within about a second.
A holder that loses its connection stops its scheduler at once and becomes a candidate again.

Jobs written by other processes (jobs/schedule_store.add_job) arrive with a NOTIFY on the wake
channel; the holder then calls `scheduler.wakeup()`, and APScheduler re-reads the store (the
next run times it sleeps on come from the table, not from memory). A wake-up every
SAFETY_WAKE_SECONDS covers a writer that died between its write and its NOTIFY.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from datetime import UTC
from typing import Literal

import psycopg
import sqlalchemy as sa
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from jobs import duties, recurring
from jobs.backoff import Backoff
from jobs.config import EngineConfig
from jobs.maintenance import Maintenance
from jobs.schedule_store import (
    JOB_DEFAULTS,
    LOCK,
    WAKE_CHANNEL,
    JobStore,
    build_job,
    record_run,
    store_for,
    wake_holder,
)

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0        # a candidate asks for the lock this often: takeover within ~1 s
SAFETY_WAKE_SECONDS = 10.0
THREADS = 8                # jobs running at once in the holder (each job one at a time)

_HOLDER_ROW = """
INSERT INTO scheduler_holder (id, host, pid, backend_pid, since)
VALUES (1, %(host)s, %(pid)s, pg_backend_pid(), now())
ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,
    backend_pid = EXCLUDED.backend_pid, since = EXCLUDED.since
"""


class SchedulerHolder:
    def __init__(self, engine: sa.Engine, cfg: EngineConfig, maintenance: Maintenance):
        self.engine, self.cfg, self.maintenance = engine, cfg, maintenance
        self.stopping, self.holding = threading.Event(), threading.Event()
        self.scheduler: BackgroundScheduler | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True, name="scheduler-election")
        self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the scheduler (when held) and give the lock up, so another process takes over."""
        self.stopping.set()
        if self.holding.is_set():
            with contextlib.suppress(sa.exc.DBAPIError):
                wake_holder(self.engine)  # ends its wait for notifications now
        if self.thread is not None:
            self.thread.join(timeout)

    # -- election -----------------------------------------------------------------------------

    def _run(self) -> None:
        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        backoff = Backoff("scheduler election", first=RETRY_SECONDS, ceiling=5.0)
        while not self.stopping.is_set():
            try:
                # Keepalives: a holder cut off from the database notices within seconds.
                with psycopg.connect(url, autocommit=True, connect_timeout=5,
                                     application_name="openpost scheduler", keepalives=1,
                                     keepalives_idle=5, keepalives_interval=2,
                                     keepalives_count=3) as conn:
                    backoff.ok()
                    while not self.stopping.is_set():
                        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK,)
                                           ).fetchone()
                        if row is not None and row[0]:  # a SELECT of one call: always one row
                            self._hold(conn)
                        else:
                            self.stopping.wait(RETRY_SECONDS)
            except (psycopg.Error, sa.exc.DBAPIError) as exc:
                self.stopping.wait(backoff.fail(exc))
            except Exception:  # never let the election thread die
                log.exception("scheduler election failed")
                self.stopping.wait(RETRY_SECONDS)

    def _hold(self, conn: psycopg.Connection) -> None:
        """Run the scheduler until stopping, or until the lock's connection fails (raises)."""
        conn.execute(f"LISTEN {WAKE_CHANNEL}")
        try:
            self._ensure_duties()
            recurring.ensure_jobs(self.engine)  # a rule whose job was never written
            duties.bind(self.maintenance)
            self.scheduler = BackgroundScheduler(
                jobstores={"default": JobStore(self.engine)},
                executors={"default": ThreadPoolExecutor(THREADS)},
                job_defaults=JOB_DEFAULTS, timezone=UTC)
            self.scheduler.add_listener(self._record,
                                        EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
            self.scheduler.start()
            conn.execute(_HOLDER_ROW, {"host": socket.gethostname(), "pid": os.getpid()})
            self.holding.set()
            log.info("this process holds the scheduler (pid %d)", os.getpid())
            last_wake = time.monotonic()
            while not self.stopping.is_set():
                # psycopg keeps the notifications that arrive between two calls for the next
                woken = any(True for _note in conn.notifies(timeout=RETRY_SECONDS, stop_after=1))
                conn.execute("SELECT 1")  # the lock lives as long as this connection
                if woken or time.monotonic() - last_wake > SAFETY_WAKE_SECONDS:
                    last_wake = time.monotonic()
                    self.scheduler.wakeup()
        finally:
            if self.scheduler is not None:
                self.scheduler.shutdown(wait=False)
                self.scheduler = None
            duties.bind(None)
            was_holding = self.holding.is_set()
            self.holding.clear()  # last: whoever sees it clear sees no scheduler running here
            if was_holding:
                log.log(logging.INFO if self.stopping.is_set() else logging.WARNING,
                        "this process no longer holds the scheduler")

    def _ensure_duties(self) -> None:
        """Every duty is in the store; one already there keeps its next run (a restart does
        not push it back), unless its function or period changed."""
        store = store_for(self.engine)
        for duty in duties.DUTIES:
            trigger = IntervalTrigger(seconds=duty.every(self.cfg), timezone=UTC)
            existing: Job | Literal[False] | None  # False: there, but not loadable here
            try:
                existing = store.lookup_job(duty.id)
            except Exception:  # a job state this code cannot load: replace it
                log.exception("duty %s could not be loaded; scheduling it anew", duty.id)
                existing = False
            if existing and existing.func_ref == duty.func and \
                    str(existing.trigger) == str(trigger):
                continue
            job = build_job(duty.func, trigger, id=duty.id)
            if existing is None:
                store.add_job(job)
            else:
                store.update_job(job)
                log.info("duty %s rescheduled: %s", duty.id, trigger)

    def _record(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            outcome, detail = "missed", ""
        elif event.exception is not None:
            outcome = "failed"
            detail = f"{type(event.exception).__name__}: {event.exception}"
        else:
            outcome, detail = "ok", "" if event.retval is None else str(event.retval)
        try:
            record_run(self.engine, event.job_id, outcome, detail, event.scheduled_run_time)
        except sa.exc.DBAPIError as exc:
            log.warning("the run of job %s was not recorded (%s)", event.job_id,
                        exc.__class__.__name__)
