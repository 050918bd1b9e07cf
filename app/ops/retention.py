"""Retention: what the database stops keeping once it has served its purpose.

Delivered outbox messages, finished webhook deliveries, the heartbeats of workers stopped
long ago, invite and password reset links used, withdrawn or expired, and the last run of a
scheduler job that is gone are removed after `retention_days`; Idempotency-Key answers after
`idempotency_hours` (a retry later than that is a new request); browser sessions as soon as
they have ended (idle or absolute lifetime). Posts, their events, notifications and the audit
log are never removed here. Each table is trimmed in bounded batches, so no sweep holds many
locks or one long transaction.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import config

BATCH = 5000

# table -> (its key, which rows are finished and how old they are)
_RULES = {
    "outbox": ("id", "processed_at IS NOT NULL AND processed_at < now() - :age"),
    "webhook_deliveries": ("id", "status <> 'pending' AND created_at < now() - :age"),
    "workers": ("id", "stopped_at IS NOT NULL AND stopped_at < now() - :age"),
    "idempotent_requests": ("workspace_id, key", "created_at < now() - :short_age"),
    # Ended browser sessions (app/auth/sessions.py): no longer any use at all.
    "user_sessions": ("id", "last_seen_at < now() - :idle OR created_at < now() - :absolute"),
    # Links used, withdrawn or expired `age` ago (LEAST skips NULLs); until then a click on
    # one still says why it no longer works.
    "invites": ("id", "LEAST(accepted_at, revoked_at, expires_at) < now() - :age"),
    "password_resets": ("id", "LEAST(used_at, expires_at) < now() - :age"),
    # The last run of a job no longer in the scheduler's store (a one-off job that ran).
    "scheduler_runs": ("job_id", "last_run_at < now() - :age AND NOT EXISTS "
                       "(SELECT 1 FROM scheduler_jobs j WHERE j.id = scheduler_runs.job_id)"),
}


def _statement(table: str, key: str, rule: str) -> sa.TextClause:
    # Table, key and rule are the constants above, never input.
    return sa.text(f"DELETE FROM {table} WHERE ({key}) IN "  # noqa: S608
                   f"(SELECT {key} FROM {table} WHERE {rule} LIMIT {BATCH})")


_STATEMENTS = {table: _statement(table, key, rule) for table, (key, rule) in _RULES.items()}


def sweep(engine: sa.Engine, retention_days: float, idempotency_hours: float,
          most_batches: int = 20) -> dict[str, int]:
    """Remove what is past its retention; {table: rows removed}. One transaction per batch."""
    idle, absolute = config.session_lifetimes()
    ages = {"age": timedelta(days=retention_days), "short_age": timedelta(hours=idempotency_hours),
            "idle": idle, "absolute": absolute}
    removed = {}
    for table, statement in _STATEMENTS.items():
        removed[table] = 0
        for _ in range(most_batches):
            with Session(engine) as sess, sess.begin():
                count = sess.execute(statement, ages).rowcount
            removed[table] += count
            if count < BATCH:
                break
    return removed
