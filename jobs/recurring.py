"""The job of a recurring rule (`recurring:<rule id>` in the job store, app/recurring/).

It runs in the process holding the scheduler, on the rule's own cron trigger, and makes the
posts of every occurrence up to OPENPOST_RECURRING_HORIZON_HOURS beyond its next run. A run
that comes late (the holder died and another took over) runs once (coalesce) and catches up:
occurrences missed by up to materialize.CATCH_UP (an hour) are still made, and published at once; the unique
key (rule, occurrence time, channel) keeps a repeated run from making any post twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.posts.service import db_now
from app.recurring import materialize as making
from app.recurring.models import RecurringRule
from app.recurring.times import job_trigger
from jobs import duties, schedule_store

log = logging.getLogger(__name__)


def materialize(rule_id: str) -> str:
    sweeps = duties._sweeps()
    engine = sweeps.engine
    with Session(engine) as sess:
        rule = sess.get(RecurringRule, uuid.UUID(rule_id), with_for_update=True)
        if rule is None:
            sess.rollback()
            schedule_store.remove_job(engine, making.job_id(rule_id))
            return "the rule is gone; its job is removed"
        made = making.materialize(sess, rule, db_now(sess),
                                 timedelta(hours=sweeps.cfg.recurring_horizon_hours))
        sess.commit()
    return f"{made} post(s) made"


_MISSING = sa.text(f"""
SELECT r.id FROM recurring_rules r
WHERE NOT r.paused AND NOT EXISTS (
    SELECT 1 FROM {schedule_store.TABLE} j WHERE j.id = 'recurring:' || r.id::text)
""")  # noqa: S608 - the table name is a constant


def ensure_jobs(engine: sa.Engine) -> int:
    """Give every active rule without a job in the store its job (a request that committed its
    rule but died before writing the job, say); jobs already there keep their next run.
    Run by a process when it becomes the holder. Returns how many were added."""
    added = 0
    with Session(engine) as sess:
        for (rule_id,) in sess.execute(_MISSING).all():
            rule = sess.get(RecurringRule, rule_id)
            if rule is None:  # deleted since the query
                continue
            try:
                next_run = job_trigger(rule).get_next_fire_time(None, db_now(sess))
            except Exception:  # a rule this code cannot read: leave it, say so
                log.exception("recurring rule %s has no job and none could be made", rule_id)
                continue
            if next_run is not None:
                making.schedule_job(engine, rule)
                added += 1
    return added
