"""The deployment's one scheduler: elected by an advisory lock, on the PostgreSQL job store."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from jobs import duties, schedule_store
from jobs.attempt import AttemptRunner
from jobs.config import EngineConfig
from jobs.maintenance import Maintenance
from jobs.scheduler import SchedulerHolder
from tests.conftest import ROOT
from tests.engine.conftest import wait_until

DUTY_IDS = {d.id for d in duties.DUTIES}
PROBED: queue.SimpleQueue = queue.SimpleQueue()


def probe(tag: str) -> str:
    """A job function the tests schedule (a textual reference: tests.engine.test_scheduler:probe)."""
    PROBED.put(tag)
    return f"probed {tag}"


def _holders_of_the_lock(pg) -> int:
    with pg.connect() as conn:
        return conn.scalar(sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = 0 AND objid = :k AND objsubid = 1 AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"k": schedule_store.LOCK})


def _jobs(pg) -> dict[str, schedule_store.JobView]:
    return {j.id: j for j in schedule_store.list_jobs(pg)}


def _held_by(pg, pid: int) -> bool:
    now = schedule_store.holder(pg)
    return now is not None and now.pid == pid


def _swept_by(pg, pid: int) -> bool:
    """The holder `pid` has run the lease reconciliation (its scheduler works)."""
    job = _jobs(pg).get("lease_reconciliation")
    return bool(job and job.last_outcome == "ok" and job.ran_by == f"{socket.gethostname()}:{pid}")


def _ahead_of_their_last_runs(pg) -> dict[str, schedule_store.JobView] | None:
    """The duties, if each has a next run later than the run it last made was scheduled for."""
    jobs = _jobs(pg)
    with pg.connect() as conn:
        ran = dict(conn.execute(sa.text("SELECT job_id, scheduled_for FROM scheduler_runs")).all())
    ahead = all(jobs[d].next_run_at is not None and (ran.get(d) is None or jobs[d].next_run_at > ran[d])
                for d in DUTY_IDS)
    return jobs if ahead else None


@pytest.fixture
def holders(pg):
    """In-process candidates for the scheduler; all stopped at the end."""
    started: list[SchedulerHolder] = []

    def start(**settings) -> SchedulerHolder:
        cfg = EngineConfig(**{"housekeeping": False, "maintenance_seconds": 0.5, **settings})
        holder = SchedulerHolder(pg, cfg, Maintenance(pg, cfg, AttemptRunner(pg, cfg)))
        holder.start()
        started.append(holder)
        return holder

    yield start
    for holder in started:
        holder.stop()


def test_one_of_two_processes_holds_the_scheduler_and_the_duties_show_their_next_runs(
        spawn, pg):
    procs = [spawn(concurrency=2, maintenance_seconds=0.5) for _ in range(2)]
    pids = {p.pid for p in procs}
    holder = wait_until(lambda: schedule_store.holder(pg), 120)
    assert holder.pid in pids and holder.host == socket.gethostname()
    wait_until(lambda: _swept_by(pg, holder.pid), 120)
    assert _holders_of_the_lock(pg) == 1
    logs = [p.log_path.read_text() for p in procs]
    assert sum("holds the scheduler" in text for text in logs) == 1, logs
    assert set(_jobs(pg)) >= DUTY_IDS
    # Each duty's next run comes after the run it last made (the time that run was scheduled
    # for: a loaded runner may finish a run after the next one is due). A duty that has just
    # run may not have its next run written yet, so this waits for a moment when all have.
    jobs = wait_until(lambda: _ahead_of_their_last_runs(pg), 120)
    now = datetime.now(UTC)
    for duty in duties.DUTIES:
        job = jobs[duty.id]
        assert job.func == duty.func
        assert job.next_run_at < now + timedelta(hours=2), job  # within its period
    assert jobs["lease_reconciliation"].trigger == "interval[0:00:00.500000]"
    assert jobs["retention"].trigger == "interval[1:00:00]"


def test_a_sigkilled_holder_is_replaced_within_seconds_and_the_burst_loses_nothing(
        spawn, pg, space, platform):
    platform.latency = 0.05
    channels = [space.channel(platform.base_url) for _ in range(4)]
    settings = {"maintenance_seconds": 0.5, "lease_seconds": 3, "tick_seconds": 0.2}
    procs = {p.pid: p for p in (spawn(concurrency=4, **settings) for _ in range(2))}
    first = wait_until(lambda: schedule_store.holder(pg), 120).pid
    [other] = set(procs) - {first}
    wait_until(lambda: _swept_by(pg, first), 120)
    ids = space.posts(channels, n=300, due_in=0.5)
    wait_until(lambda: len(platform.records) >= 20, 120)  # the burst is under way
    killed, published = time.monotonic(), len(platform.records)
    procs[first].send_signal(signal.SIGKILL)
    wait_until(lambda: _held_by(pg, other), 15)
    took = time.monotonic() - killed
    print(f"\nscheduler takeover after SIGKILL of the holder: {took:.2f} s "
          f"({published} of {len(ids)} posts out at the kill)")
    wait_until(lambda: _swept_by(pg, other), 120)  # and the new holder runs the duties
    assert _holders_of_the_lock(pg) == 1
    assert space.wait_terminal(ids) == {"published": len(ids)}
    assert set(platform.created_counts().values()) == {1}  # no post twice
    assert not [j.id for j in _jobs(pg).values() if j.last_outcome not in (None, "ok")]


def test_a_duty_keeps_its_next_run_when_every_process_restarts(spawn, pg):
    first = spawn(concurrency=2, maintenance_seconds=0.5)
    wait_until(lambda: _swept_by(pg, first.pid), 120)
    before = _jobs(pg)["retention"].next_run_at  # an hour ahead
    first.send_signal(signal.SIGKILL)
    first.wait()
    wait_until(lambda: schedule_store.holder(pg) is None, 120)
    second = spawn(concurrency=2, maintenance_seconds=0.5)
    wait_until(lambda: _swept_by(pg, second.pid), 120)
    assert _jobs(pg)["retention"].next_run_at == before, "a restart must not push a duty back"


def test_only_the_holder_runs_a_scheduler_and_a_stopped_holder_hands_over(holders, pg):
    one, two = holders(), holders()
    wait_until(lambda: one.holding.is_set() or two.holding.is_set(), 120)
    held, waiting = (one, two) if one.holding.is_set() else (two, one)
    assert held.scheduler is not None and waiting.scheduler is None
    assert _holders_of_the_lock(pg) == 1
    held.stop()
    assert held.scheduler is None
    wait_until(lambda: waiting.holding.is_set(), 120)
    assert schedule_store.holder(pg).pid == os.getpid()


def test_a_job_written_by_a_process_without_the_scheduler_runs_in_the_holder(holders, pg):
    holder = holders()
    wait_until(holder.holding.is_set, 120)
    soon = datetime.now(UTC) + timedelta(milliseconds=300)
    # written as another process would: straight into the store, then a NOTIFY
    schedule_store.add_job(pg, "tests.engine.test_scheduler:probe", "date", id="test-probe-once",
                           args=("once",), run_date=soon)
    assert PROBED.get(timeout=30) == "once"

    def recorded():
        with pg.connect() as conn:
            return conn.execute(sa.text("SELECT outcome, detail, ran_by FROM scheduler_runs "
                                        "WHERE job_id = 'test-probe-once'")).first()

    assert tuple(wait_until(recorded, 120)) == ("ok", "probed once", f"{socket.gethostname()}:{os.getpid()}")
    wait_until(lambda: "test-probe-once" not in _jobs(pg), 120)  # a date job, once run, is gone


def test_jobs_are_added_and_removed_from_any_process_and_bad_ones_refused(pg):
    nxt = schedule_store.add_job(pg, "tests.engine.test_scheduler:probe", "cron",
                                 id="test-weekdays", args=("cron",), day_of_week="mon-fri",
                                 hour=9, timezone="Europe/Paris")
    job = _jobs(pg)["test-weekdays"]
    assert job.next_run_at == nxt and job.trigger.startswith("cron[day_of_week='mon-fri'")
    paris = nxt.astimezone(ZoneInfo("Europe/Paris"))
    assert nxt > datetime.now(UTC) and (paris.hour, paris.minute) == (9, 0) and paris.weekday() < 5
    assert schedule_store.remove_job(pg, "test-weekdays") is True
    assert "test-weekdays" not in _jobs(pg)
    assert schedule_store.remove_job(pg, "test-weekdays") is False
    before = _jobs(pg)
    with pytest.raises(ValueError, match="textual reference 'module:function'"):
        schedule_store.add_job(pg, probe, "interval", id="test-callable", seconds=5)
    with pytest.raises(ValueError, match="id must be a string of 1 to 191 characters"):
        schedule_store.add_job(pg, "tests.engine.test_scheduler:probe", id="x" * 192,
                               args=("long",), seconds=5)
    with pytest.raises(ValueError, match="unknown trigger 'hourly'"):
        schedule_store.add_job(pg, "tests.engine.test_scheduler:probe", "hourly", id="test-bad")
    assert _jobs(pg).keys() == before.keys()


def test_a_paused_job_has_no_next_run_until_it_is_resumed(pg):
    schedule_store.add_job(pg, "tests.engine.test_scheduler:probe", "interval", id="test-pause",
                           args=("paused",), hours=1)
    try:
        assert schedule_store.pause_job(pg, "test-pause") is True
        assert _jobs(pg)["test-pause"].next_run_at is None
        resumed = schedule_store.resume_job(pg, "test-pause")
        assert timedelta(minutes=59) < resumed - datetime.now(UTC) <= timedelta(hours=1)
        assert _jobs(pg)["test-pause"].next_run_at == resumed
    finally:
        schedule_store.remove_job(pg, "test-pause")
    assert schedule_store.pause_job(pg, "test-pause") is False
    assert schedule_store.resume_job(pg, "test-pause") is None


def test_a_change_written_while_the_holder_runs_the_job_is_not_overwritten(pg):
    schedule_store.add_job(pg, "tests.engine.test_scheduler:probe", "interval", id="test-edit",
                           args=("old",), minutes=5)
    try:
        holder_store = schedule_store.store_for(pg)
        [running] = [j for j in holder_store.get_all_jobs() if j.id == "test-edit"]
        # meanwhile another process edits the job (a rule's new time, say)
        schedule_store.add_job(pg, "tests.engine.test_scheduler:probe", "cron", id="test-edit",
                               args=("new",), hour=12)
        # the holder writes back the run it made, as APScheduler does after every run
        running._modify(next_run_time=running.next_run_time + timedelta(minutes=5))
        holder_store.update_job(running)
        assert _jobs(pg)["test-edit"].trigger.startswith("cron[hour='12'")
    finally:
        schedule_store.remove_job(pg, "test-edit")


def test_a_run_written_back_while_the_database_is_unreachable_keeps_the_scheduler_going(pg):
    """After a run the holder writes the job's next run back; when PostgreSQL cannot be reached
    that write fails, and the scheduler's loop (which every duty runs on) must survive it: the
    job keeps its stored next run and runs again when due."""
    schedule_store.add_job(pg, "tests.engine.test_scheduler:probe", "interval", id="test-cut",
                           args=("cut",), minutes=5)
    try:
        [job] = [j for j in schedule_store.store_for(pg).get_all_jobs() if j.id == "test-cut"]
        before = _jobs(pg)["test-cut"].next_run_at
        unreachable = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none",
                                       connect_args={"connect_timeout": 2})
        cut_off = schedule_store.store_for(unreachable)
        job._modify(next_run_time=job.next_run_time + timedelta(minutes=5))
        cut_off.update_job(job)  # logged, not raised
        assert _jobs(pg)["test-cut"].next_run_at == before
        unreachable.dispose()
    finally:
        schedule_store.remove_job(pg, "test-cut")


def test_openpost_jobs_lists_the_holder_and_each_duty_with_its_last_and_next_run(
        spawn, pg, database_url):
    proc = spawn(concurrency=2, maintenance_seconds=0.5)
    wait_until(lambda: _swept_by(pg, proc.pid), 120)
    env = {**os.environ, "DATABASE_URL": database_url, "OPENPOST_LOG_LEVEL": "WARNING"}

    def openpost_jobs(*args):
        done = subprocess.run([sys.executable, "-m", "app.cli", "jobs", *args],  # noqa: S603
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        return done.stdout

    text = openpost_jobs()
    lines = text.splitlines()
    assert lines[0].startswith(f"holder: {socket.gethostname()} pid {proc.pid}, since ")
    assert lines[1].split() == ["JOB", "TRIGGER", "LAST", "RUN", "OUTCOME", "NEXT", "RUN",
                                "DETAIL"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) >= DUTY_IDS
    reconcile = rows["lease_reconciliation"].split()
    assert reconcile[1] == "interval[0:00:00.500000]" and reconcile[5] == "ok"
    assert reconcile[4] == reconcile[8] == "UTC"  # a last run and a next run, both dated
    assert "stuck post(s) retried" in rows["lease_reconciliation"]
    report = json.loads(openpost_jobs("--json"))
    assert report["holder"]["pid"] == proc.pid
    listed = {j["id"]: j for j in report["jobs"]}
    assert listed["retention"]["next_run_at"] and listed["retention"]["trigger"] == \
        "interval[1:00:00]"
    doctor = subprocess.run([sys.executable, "-m", "app.cli", "doctor"],  # noqa: S603
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert f"scheduler: held by {socket.gethostname()} pid {proc.pid} since " in doctor.stdout
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    wait_until(lambda: schedule_store.holder(pg) is None, 120)
    assert openpost_jobs().startswith("holder: none")


def test_a_holder_whose_connection_is_cut_stops_its_scheduler_and_one_holder_remains(
        holders, pg, caplog):
    one, two = holders(), holders()
    wait_until(lambda: one.holding.is_set() or two.holding.is_set(), 120)
    held = one if one.holding.is_set() else two
    with pg.connect() as conn:  # as a PostgreSQL restart or a cut link would
        conn.execute(sa.text("SELECT pg_terminate_backend(backend_pid) FROM scheduler_holder"))
    wait_until(lambda: not held.holding.is_set(), 120)
    assert held.scheduler is None
    assert "this process no longer holds the scheduler" in caplog.text
    wait_until(lambda: one.holding.is_set() or two.holding.is_set(), 120)
    assert sum(h.scheduler is not None for h in (one, two)) == 1
    assert _holders_of_the_lock(pg) == 1 and schedule_store.holder(pg) is not None


def test_retention_forgets_the_last_run_of_a_job_that_is_gone(pg):
    from app.ops import retention

    schedule_store.add_job(pg, "tests.engine.test_scheduler:probe", "interval",
                           id="test-kept", args=("kept",), hours=1)
    try:
        for job_id in ("test-kept", "test-gone", "test-gone-lately"):
            schedule_store.record_run(pg, job_id, "ok", "ran")
        with pg.begin() as conn:
            conn.execute(sa.text("UPDATE scheduler_runs SET last_run_at = now() - interval "
                                 "'40 days' WHERE job_id IN ('test-kept', 'test-gone')"))
        retention.sweep(pg, retention_days=30, idempotency_hours=24)
        with pg.connect() as conn:
            left = set(conn.scalars(sa.text(
                "SELECT job_id FROM scheduler_runs WHERE job_id IN "
                "('test-kept', 'test-gone', 'test-gone-lately')")))
        assert left == {"test-kept", "test-gone-lately"}
    finally:
        schedule_store.remove_job(pg, "test-kept")
        schedule_store.remove_job(pg, "test-gone-lately")


def test_the_job_store_never_creates_its_table_the_migration_does(pg):
    with pg.begin() as conn:
        conn.execute(sa.text("ALTER TABLE scheduler_jobs RENAME TO scheduler_jobs_away"))
    try:
        with pytest.raises(RuntimeError, match="scheduler_jobs is missing: run `openpost db upgrade`"):
            schedule_store.JobStore(pg).start(schedule_store._builder, "default")
        with pg.connect() as conn:
            assert not sa.inspect(conn).has_table("scheduler_jobs")
    finally:
        with pg.begin() as conn:
            conn.execute(sa.text("ALTER TABLE scheduler_jobs_away RENAME TO scheduler_jobs"))
