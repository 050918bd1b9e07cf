"""The job of a recurring rule (`recurring:<rule id>` in the job store, app/recurring/rules.py).

It runs in the process holding the scheduler, on the rule's own cron trigger, and makes the
posts of every occurrence up to OPENPOST_RECURRING_HORIZON_HOURS beyond its next run. A run
that comes late (the holder died and another took over) runs once (coalesce) and catches up:
occurrences missed by up to rules.CATCH_UP are still made, and published at once; the unique
key (rule, occurrence time, channel) keeps a repeated run from making any post twice.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from app.posts.service import db_now
from app.recurring import rules
from app.recurring.models import RecurringRule
from jobs import duties, schedule_store


def materialize(rule_id: str) -> str:
    sweeps = duties._sweeps()
    engine = sweeps.engine
    with Session(engine) as sess:
        rule = sess.get(RecurringRule, uuid.UUID(rule_id), with_for_update=True)
        if rule is None:
            sess.rollback()
            schedule_store.remove_job(engine, rules.job_id(rule_id))
            return "the rule is gone; its job is removed"
        made = rules.materialize(sess, rule, db_now(sess),
                                 timedelta(hours=sweeps.cfg.recurring_horizon_hours))
        sess.commit()
    return f"{made} post(s) made"
