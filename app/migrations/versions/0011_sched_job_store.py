"""the deployment's scheduler: APScheduler's job store, its holder, the last run of each job

`scheduler_jobs` has the columns APScheduler 3's SQLAlchemyJobStore reads and writes (it is
configured with tablename="scheduler_jobs" and never creates a table itself, see
jobs/schedule_store.py). `scheduler_holder` names the process elected to run the scheduler
(the session-level advisory lock decides; this row only says who took it), and
`scheduler_runs` keeps the last run of each job: when, and how it ended.

Revision ID: 0011_sched_job_store
Revises: 0010_session_lifetime
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_sched_job_store"
down_revision = "0010_session_lifetime"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_jobs",
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25)),  # a UTC timestamp; NULL: paused
        sa.Column("job_state", sa.LargeBinary, nullable=False))  # the pickled Job
    op.create_index("ix_scheduler_jobs_next_run_time", "scheduler_jobs", ["next_run_time"])
    op.create_table(
        "scheduler_holder",
        sa.Column("id", sa.SmallInteger, primary_key=True, server_default="1"),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("backend_pid", sa.Integer, nullable=False),  # its connection holding the lock
        sa.Column("since", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("id = 1", name="ck_scheduler_holder_one"))
    op.create_table(
        "scheduler_runs",
        sa.Column("job_id", sa.Unicode(191), primary_key=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("ran_by", sa.String(255), nullable=False),
        sa.CheckConstraint("outcome IN ('ok', 'failed', 'missed')",
                           name="ck_scheduler_runs_outcome"))


def downgrade() -> None:
    op.drop_table("scheduler_runs")
    op.drop_table("scheduler_holder")
    op.drop_index("ix_scheduler_jobs_next_run_time", table_name="scheduler_jobs")
    op.drop_table("scheduler_jobs")
