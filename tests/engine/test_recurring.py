"""Recurring rules on the deployment's scheduler: a rule's job survives every process
restarting, and a SIGKILLed holder neither misses nor duplicates an occurrence."""

from __future__ import annotations

import signal
import socket
import threading
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.posts.models import Post
from app.recurring import rules
from app.recurring.materialize import JOB_FUNC, job_id, materialize
from app.recurring.models import RecurringRule, RuleOccurrence
from app.recurring.times import upcoming
from jobs import schedule_store
from tests.engine.conftest import wait_until

HORIZON_HOURS = 0.0005  # 1.8 s: the holder, not the rule's creation, makes most posts


def _job(pg, rule_id):
    return {j.id: j for j in schedule_store.list_jobs(pg)}.get(job_id(rule_id))


def _rule(pg, space, channel_id, cron, **kw):
    with Session(pg, expire_on_commit=False) as sess:
        return rules.create_rule(sess, space.workspace_id, "test", channel_ids=[channel_id],
                                 text="every second", rule=cron, **kw)


def _occurrences(pg, rule_id):
    """(occurrence time, post count at that time) of every occurrence the rule made."""
    with pg.connect() as conn:
        return conn.execute(sa.select(Post.schedule_at, sa.func.count()).where(
            Post.created_by == f"recurring:{rule_id}").group_by(Post.schedule_at)
            .order_by(Post.schedule_at)).all()


def _ran_by(pg, job_id, pid):
    with pg.connect() as conn:
        row = conn.execute(sa.text("SELECT outcome, ran_by FROM scheduler_runs WHERE job_id = :j"),
                           {"j": job_id}).first()
    return row is not None and row.outcome == "ok" and row.ran_by == f"{socket.gethostname()}:{pid}"


def test_a_rule_keeps_its_job_and_next_run_when_every_process_restarts(spawn, pg, space,
                                                                       platform):
    channel = space.channel(platform.base_url)
    rule = _rule(pg, space, channel, {"day_of_week": "mon-fri", "hour": 9, "minute": 0},
                 timezone="America/New_York")
    try:
        job = _job(pg, rule.id)
        first = upcoming(rule, job.next_run_at - timedelta(seconds=1), 1)[0]
        assert job.func == JOB_FUNC and job.next_run_at == first
        one = spawn(concurrency=2, maintenance_seconds=0.5)
        wait_until(lambda: _ran_by(pg, "lease_reconciliation", one.pid), 120)
        one.send_signal(signal.SIGKILL)
        one.wait()
        wait_until(lambda: schedule_store.holder(pg) is None, 120)
        two = spawn(concurrency=2, maintenance_seconds=0.5)
        wait_until(lambda: _ran_by(pg, "lease_reconciliation", two.pid), 120)
        after = _job(pg, rule.id)
        assert after is not None and after.next_run_at == first
        assert after.trigger.startswith("cron[day_of_week='mon-fri', hour='9'")
    finally:
        schedule_store.remove_job(pg, job_id(rule.id))


def test_the_holder_sigkilled_misses_and_duplicates_no_occurrence(spawn, pg, space, platform,
                                                                  monkeypatch):
    monkeypatch.setenv("OPENPOST_RECURRING_HORIZON_HOURS", str(HORIZON_HOURS))
    channel = space.channel(platform.base_url)
    settings = {"maintenance_seconds": 0.5, "recurring_horizon_hours": HORIZON_HOURS}
    first = spawn(concurrency=2, **settings)
    wait_until(lambda: schedule_store.holder(pg), 120)
    rule = _rule(pg, space, channel, {"second": "*"})
    job = job_id(rule.id)
    try:
        wait_until(lambda: _ran_by(pg, job, first.pid), 120)  # the holder makes the posts
        first.send_signal(signal.SIGKILL)
        first.wait()
        # no holder: the posts made run out, and at least one occurrence passes unmade
        made_through = _occurrences(pg, rule.id)[-1][0]
        with pg.connect() as conn:
            wait_until(lambda: conn.scalar(sa.select(sa.func.clock_timestamp())) >
                       made_through + timedelta(seconds=2), 20)
        second = spawn(concurrency=2, **settings)
        wait_until(lambda: _ran_by(pg, job, second.pid), 120)  # its late run caught up
        rules_off(pg, rule.id)
        seen = _occurrences(pg, rule.id)
        times = [t for t, _n in seen]
        assert {n for _t, n in seen} == {1}, "an occurrence was made twice"
        assert all(b - a == timedelta(seconds=1) for a, b in zip(times, times[1:], strict=False)), \
            "an occurrence was missed"
        assert times[-1] > made_through + timedelta(seconds=2)
        print(f"\n{len(times)} occurrences, one post each, across the holder's SIGKILL")
    finally:
        schedule_store.remove_job(pg, job)


def rules_off(pg, rule_id):
    """Pause the rule (its job stops making posts) so the count is final."""
    with Session(pg) as sess:
        rule = sess.get(RecurringRule, rule_id)
        rules.pause_rule(sess, rule.workspace_id, rule.id, "test")


def test_two_processes_materializing_at_once_make_each_occurrence_once(pg, space, platform,
                                                                        monkeypatch):
    monkeypatch.setenv("OPENPOST_RECURRING_HORIZON_HOURS", "0.001")
    channel = space.channel(platform.base_url)
    rule = _rule(pg, space, channel, {"minute": "*"})
    schedule_store.remove_job(pg, job_id(rule.id))  # only the two below make posts
    barrier, made = threading.Barrier(2), []
    before = len(_occurrences(pg, rule.id))

    def run():
        with Session(pg) as sess:
            mine = sess.get(RecurringRule, rule.id)
            now = sess.scalar(sa.select(sa.func.now()))
            barrier.wait()
            made.append(materialize(sess, mine, now, timedelta(hours=3)))
            sess.commit()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seen = _occurrences(pg, rule.id)
    assert {n for _t, n in seen} == {1} and len(seen) >= 180
    with pg.connect() as conn:
        rows = conn.scalar(sa.select(sa.func.count()).where(RuleOccurrence.rule_id == rule.id))
    assert rows == len(seen) and before + sum(made) == len(seen)


def test_the_holder_gives_a_rule_without_a_job_its_job(pg, space, platform):
    from jobs.attempt import AttemptRunner
    from jobs.config import EngineConfig
    from jobs.maintenance import Maintenance
    from jobs.scheduler import SchedulerHolder

    channel = space.channel(platform.base_url)
    rule = _rule(pg, space, channel, {"day_of_week": "tue", "hour": 12, "minute": 30},
                 timezone="Europe/Berlin")
    expected = _job(pg, rule.id).next_run_at
    schedule_store.remove_job(pg, job_id(rule.id))  # as if the request died before it
    cfg = EngineConfig(housekeeping=False, maintenance_seconds=0.5)
    holder = SchedulerHolder(pg, cfg, Maintenance(pg, cfg, AttemptRunner(pg, cfg)))
    holder.start()
    try:
        wait_until(holder.holding.is_set, 120)
        job = _job(pg, rule.id)
        assert job is not None and job.next_run_at == expected
        # and while it holds, its recurring_jobs duty repairs a job lost later
        schedule_store.remove_job(pg, job_id(rule.id))
        job = wait_until(lambda: _job(pg, rule.id), 120)
        assert job.next_run_at == expected
    finally:
        holder.stop()
        schedule_store.remove_job(pg, job_id(rule.id))
