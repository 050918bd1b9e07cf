"""The deployment's durable schedule: APScheduler 3's SQLAlchemyJobStore in PostgreSQL.

The table `scheduler_jobs` is made by a migration (0011); the store here never creates one.
One process at a time runs a scheduler on it (jobs/scheduler.py elects it); APScheduler's
documentation forbids sharing a job store between running schedulers, so every other process
only reads the table or writes jobs into it with `add_job` / `remove_job` below, then wakes the
holder with a NOTIFY on `WAKE_CHANNEL`, on which its scheduler re-reads the store.

Job functions are textual references ("module:function") so a job pickles, and loads in any
process running the same code.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import datetime_to_utc_timestamp, utc_timestamp_to_datetime

log = logging.getLogger(__name__)

TABLE = "scheduler_jobs"
LOCK = 727_002  # pg advisory lock (session level): whoever holds it runs the scheduler
WAKE_CHANNEL = "openpost_scheduler"  # NOTIFY: the store changed, re-read it
# A late run still runs once (the duties are sweeps: running late beats skipping), never twice.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
POSTPONE_UNLOADABLE = timedelta(minutes=1)
_TRIGGERS = {"interval": IntervalTrigger, "cron": CronTrigger, "date": DateTrigger}


class JobStore(SQLAlchemyJobStore):
    """SQLAlchemyJobStore on the table of migration 0011 and an engine it does not own."""

    def __init__(self, engine: sa.Engine):
        super().__init__(engine=engine, tablename=TABLE)
        self._read: dict[str, bytes] = {}  # job id -> its state as this store last read it

    def start(self, scheduler: Any, alias: str) -> None:
        # The base class would CREATE TABLE here; the schema belongs to the migrations.
        super(SQLAlchemyJobStore, self).start(scheduler, alias)
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(TABLE):
                raise RuntimeError(f"the table {TABLE} is missing: run `openpost db upgrade`")

    def shutdown(self) -> None:
        pass  # the engine is the process's own pool: not ours to dispose of

    def update_job(self, job: Job) -> None:
        # The holder writes a job back after each run (its next run time). Another process may
        # have replaced, paused or removed it meanwhile: then theirs stands, and the write
        # neither overwrites it nor stops the scheduler's loop (APScheduler would raise).
        # A database that cannot be reached leaves the row as it was, so the job runs again
        # when next due; raising here would end APScheduler's loop and with it every duty.
        try:
            written = self.write_back(job)
        except sa.exc.DBAPIError:
            log.warning("job %s: its next run could not be written (database unavailable); "
                        "it runs again when due", job.id, exc_info=True)
            return
        if not written:
            log.info("job %s was changed or removed by another process; its new version "
                     "stands", job.id)

    def write_back(self, job: Job) -> bool:
        """Update the job's row, only if it is still as this store read it (when it read it);
        False when it was not."""
        read = self._read.pop(job.id, None)
        update = self.jobs_t.update().where(self.jobs_t.c.id == job.id).values(
            next_run_time=datetime_to_utc_timestamp(job.next_run_time),
            job_state=pickle.dumps(job.__getstate__(), self.pickle_protocol))
        if read is not None:
            update = update.where(self.jobs_t.c.job_state == read)
        with self.engine.begin() as conn:
            return conn.execute(update).rowcount == 1

    def remove_job(self, job_id: str) -> None:
        self._read.pop(job_id, None)
        super().remove_job(job_id)

    def _reconstitute_job(self, job_state: bytes) -> Job:
        job = super()._reconstitute_job(job_state)
        self._read[job.id] = job_state
        return job

    def _get_jobs(self, *conditions: Any) -> list[Job]:
        """As the base class, but a job this process cannot load (written by a newer version
        of the code, say) is postponed, not deleted as APScheduler would: the holder that
        knows it runs it."""
        jobs: list[Job] = []
        unloadable: list[str] = []
        query = sa.select(self.jobs_t.c.id, self.jobs_t.c.job_state).order_by(
            self.jobs_t.c.next_run_time)
        if conditions:
            query = query.where(*conditions)
        with self.engine.begin() as conn:
            for row in conn.execute(query):
                try:
                    jobs.append(self._reconstitute_job(row.job_state))
                except Exception:
                    log.exception("job %s cannot be loaded by this process; postponed", row.id)
                    unloadable.append(row.id)
            if unloadable:
                later = datetime_to_utc_timestamp(datetime.now(UTC) + POSTPONE_UNLOADABLE)
                conn.execute(self.jobs_t.update().where(self.jobs_t.c.id.in_(unloadable))
                             .values(next_run_time=later))
        return jobs


# -- writing jobs from any process ------------------------------------------------------------

_builder = BackgroundScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)  # never started


def make_trigger(trigger: str | BaseTrigger, **args: Any) -> BaseTrigger:
    """An APScheduler trigger: an instance as given, or "interval" / "cron" / "date" with its
    arguments (time zone UTC unless `timezone` is given)."""
    if isinstance(trigger, BaseTrigger):
        if args:
            raise ValueError("trigger arguments given with a trigger instance")
        return trigger
    if trigger not in _TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}: use one of {', '.join(_TRIGGERS)}")
    return _TRIGGERS[trigger](**{"timezone": UTC, **args})


def build_job(func: str, trigger: BaseTrigger, *, id: str, args: Sequence[Any] = (),
              kwargs: Mapping[str, Any] | None = None,
              name: str | None = None, next_run_time: datetime | None = None) -> Job:
    if not isinstance(id, str) or not 0 < len(id) <= 191:
        raise ValueError(f"a job's id must be a string of 1 to 191 characters, not {id!r}")
    if not isinstance(func, str) or ":" not in func:
        raise ValueError(f"a job's function must be a textual reference 'module:function', "
                         f"not {func!r}")
    first = next_run_time or trigger.get_next_fire_time(None, datetime.now(UTC))
    return Job(_builder, id=id, func=func, trigger=trigger, executor="default",
               args=tuple(args), kwargs=dict(kwargs or {}), name=name or id,
               next_run_time=first, **JOB_DEFAULTS)


def add_job(engine: sa.Engine, func: str, trigger: str | BaseTrigger = "interval", *, id: str,
            args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None,
            name: str | None = None, replace_existing: bool = True,
            **trigger_args: Any) -> datetime | None:
    """Write a job into the store from any process, and wake the holder so it sees it at once.

    `func` is a textual reference ("jobs.duties:retention"); `trigger` an APScheduler trigger
    or "interval" / "cron" / "date" with `trigger_args` (e.g. minutes=5, or day_of_week="mon-fri",
    hour=9, timezone="Europe/Paris"). Replacing a job keeps nothing of the old one: its next run
    is computed anew from the trigger. Returns the job's next run time (None: it never fires).
    """
    job = build_job(func, make_trigger(trigger, **trigger_args), id=id, args=args,
                    kwargs=kwargs, name=name)
    store = store_for(engine)
    try:
        store.add_job(job)
    except ConflictingIdError:
        if not replace_existing:
            raise
        store.update_job(job)
    wake_holder(engine)
    return job.next_run_time


def pause_job(engine: sa.Engine, job_id: str) -> bool:
    """Stop a job from firing (its next run time becomes NULL); False when there is none."""
    return _reschedule(engine, job_id, lambda job: None) is not None


def resume_job(engine: sa.Engine, job_id: str) -> datetime | None:
    """Let a paused job fire again from now on; its next run time (None: no such job, or its
    trigger never fires again)."""
    found = _reschedule(engine, job_id, lambda job: job.trigger.get_next_fire_time(
        None, datetime.now(UTC)))
    return found.next_run_time if found else None


def _reschedule(engine: sa.Engine, job_id: str, next_run: Callable[[Job], datetime | None]
                ) -> Job | None:
    store = store_for(engine)
    while (job := store.lookup_job(job_id)) is not None:
        job._modify(next_run_time=next_run(job))
        if store.write_back(job):  # unless the holder or another writer changed it meanwhile
            wake_holder(engine)
            return job
    return None


def remove_job(engine: sa.Engine, job_id: str) -> bool:
    """Remove a job from the store (False when there was none), with its last run."""
    with engine.begin() as conn:
        gone = conn.execute(sa.text(f"DELETE FROM {TABLE} WHERE id = :id"),  # noqa: S608
                            {"id": job_id}).rowcount
        conn.execute(sa.text("DELETE FROM scheduler_runs WHERE job_id = :id"), {"id": job_id})
    if gone:
        wake_holder(engine)
    return bool(gone)


def wake_holder(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_notify(:c, '')"), {"c": WAKE_CHANNEL})


def store_for(engine: sa.Engine) -> JobStore:
    """The store, to read and write jobs without a running scheduler."""
    store = JobStore(engine)
    store._scheduler, store._alias = _builder, "default"  # for the jobs it loads; not started
    return store


# -- reading the schedule without a scheduler -------------------------------------------------

@dataclass(frozen=True)
class JobView:
    id: str
    func: str
    trigger: str
    next_run_at: datetime | None  # None: paused
    last_run_at: datetime | None
    last_outcome: str | None      # 'ok', 'failed', 'missed'
    last_detail: str
    ran_by: str | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "func": self.func, "trigger": self.trigger,
                "next_run_at": _iso(self.next_run_at), "last_run_at": _iso(self.last_run_at),
                "last_outcome": self.last_outcome, "last_detail": self.last_detail,
                "ran_by": self.ran_by}


@dataclass(frozen=True)
class HolderView:
    host: str
    pid: int
    since: datetime

    def as_json(self) -> dict[str, Any]:
        return {"host": self.host, "pid": self.pid, "since": _iso(self.since)}


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def list_jobs(engine: sa.Engine) -> list[JobView]:
    """Every job of the store with its last run, read from the tables: no scheduler is
    started and no job function is imported (the job's state is unpickled as data)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            f"SELECT j.id, j.next_run_time, j.job_state, r.last_run_at, r.outcome, r.detail, "  # noqa: S608
            f"r.ran_by FROM {TABLE} j LEFT JOIN scheduler_runs r ON r.job_id = j.id "
            f"ORDER BY j.next_run_time NULLS LAST, j.id")).all()
    views = []
    for job_id, next_run, blob, last_at, outcome, detail, ran_by in rows:
        try:
            state = pickle.loads(blob)  # noqa: S301 - written by this code into our own database
        except Exception as exc:  # a trigger class this code lacks, say: list it all the same
            state = {"func": "?", "trigger": f"(unreadable here: {type(exc).__name__})"}
        views.append(JobView(id=job_id, func=state["func"], trigger=str(state["trigger"]),
                             next_run_at=utc_timestamp_to_datetime(next_run),
                             last_run_at=last_at, last_outcome=outcome,
                             last_detail=detail or "", ran_by=ran_by))
    return views


# The holder row counts only while its connection still holds the lock.
_HOLDER = sa.text("""
SELECT h.host, h.pid, h.since FROM scheduler_holder h
JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.pid = h.backend_pid
 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
 AND l.classid = 0 AND l.objid = :lock AND l.objsubid = 1
""")


def holder(bind: sa.Engine | sa.Connection) -> HolderView | None:
    """The process running the scheduler now, or None. `bind`: an engine, or the connection of
    a session in progress (doctor reads it within its own)."""
    if isinstance(bind, sa.Connection):
        row = bind.execute(_HOLDER, {"lock": LOCK}).first()
    else:
        with bind.connect() as conn:
            row = conn.execute(_HOLDER, {"lock": LOCK}).first()
    return HolderView(*row) if row else None


# -- written by the holder --------------------------------------------------------------------

def me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def record_run(engine: sa.Engine, job_id: str, outcome: str, detail: str = "",
               scheduled_for: datetime | None = None) -> None:
    """The last run of a job: when (database clock), how it ended, by which process."""
    with engine.begin() as conn:
        conn.execute(sa.text("""
            INSERT INTO scheduler_runs (job_id, last_run_at, scheduled_for, outcome, detail, ran_by)
            VALUES (:id, now(), :at, :outcome, :detail, :by)
            ON CONFLICT (job_id) DO UPDATE SET last_run_at = now(),
                scheduled_for = EXCLUDED.scheduled_for, outcome = EXCLUDED.outcome,
                detail = EXCLUDED.detail, ran_by = EXCLUDED.ran_by"""),
            {"id": job_id, "at": scheduled_for, "outcome": outcome, "detail": detail[:1000],
             "by": me()})
