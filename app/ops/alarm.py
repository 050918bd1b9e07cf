"""The loud alarm: posts are not being published (a post is overdue, or no worker is alive)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.ops.models import AlarmState, WorkerHeartbeat
from app.posts.models import Post
from app.timeutil import iso

log = logging.getLogger(__name__)

ALARM = "publishing"
OVERDUE_AFTER_S = 60  # a scheduled post this far past its time should have been claimed
WORKER_SILENCE_S = 60  # a worker that has not ticked for this long is presumed dead


@dataclass(frozen=True)
class Status:
    now: datetime
    live_workers: int
    last_tick_at: datetime | None
    overdue: int
    oldest_due: datetime | None

    @property
    def alarming(self) -> bool:
        return self.live_workers == 0 or self.overdue > 0

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.live_workers == 0:
            if self.last_tick_at is None:
                reasons.append('No worker has ever run: start "openpost worker" '
                               '(or use "openpost serve")')
            else:
                reasons.append(f"No worker has checked in since {_when(self.last_tick_at)}: "
                               "the workers are stopped or have lost the database")
        if self.overdue:
            posts = "1 scheduled post is" if self.overdue == 1 else \
                f"{self.overdue} scheduled posts are"
            reasons.append(f"{posts} overdue, the oldest due at {_when(self.oldest_due)}")
        return reasons

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    def as_json(self) -> dict:
        return {"alarming": self.alarming, "reason": self.reason,
                "live_workers": self.live_workers, "last_tick_at": iso(self.last_tick_at),
                "overdue_posts": self.overdue, "oldest_due_at": iso(self.oldest_due)}


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "never"


def _overdue_filter(workspace_id: uuid.UUID | None):
    cond = [Post.state == "scheduled",
            Post.schedule_at < sa.func.now() - sa.text(f"interval '{OVERDUE_AFTER_S} seconds'")]
    if workspace_id is not None:
        cond.append(Post.workspace_id == workspace_id)
    return cond


def status(sess: Session, workspace_id: uuid.UUID | None = None) -> Status:
    """The alarm's inputs, read with the database clock; overdue posts of one workspace if given."""
    live = (sa.select(sa.func.count()).select_from(WorkerHeartbeat).where(
        WorkerHeartbeat.stopped_at.is_(None),
        WorkerHeartbeat.last_tick_at > sa.func.now() - sa.text(
            f"interval '{WORKER_SILENCE_S} seconds'")).scalar_subquery())
    last_tick = sa.select(sa.func.max(WorkerHeartbeat.last_tick_at)).scalar_subquery()
    overdue = sa.select(sa.func.count().label("n"), sa.func.min(Post.schedule_at).label("oldest")
                        ).where(*_overdue_filter(workspace_id)).subquery()
    row = sess.execute(sa.select(sa.func.now(), live, last_tick, overdue.c.n, overdue.c.oldest)
                       ).one()
    return Status(now=row[0], live_workers=row[1], last_tick_at=row[2], overdue=row[3],
                  oldest_due=row[4])


def _locked_state(sess: Session) -> AlarmState:
    sess.execute(insert(AlarmState).values(name=ALARM, alarming=False, reason="")
                 .on_conflict_do_nothing(index_elements=["name"]))
    return sess.scalar(sa.select(AlarmState).where(AlarmState.name == ALARM).with_for_update()
                       .execution_options(populate_existing=True))


def check_and_alert(sess: Session) -> Status:
    """Compare the alarm with its remembered state; alert on a new incident and on recovery.

    The row lock makes concurrent callers (every worker's maintenance job, /readyz, doctor)
    agree, so one incident gives one alert and one recovery message. Commits.
    """
    current = status(sess)
    state = _locked_state(sess)
    if current.alarming and not state.alarming:
        state.alarming, state.since, state.alerted_at = True, current.now, current.now
        state.recovered_at = None
        log.error("posts are not being published: %s", current.reason)
        _notify_all(sess, current, recovered=False)
    elif not current.alarming and state.alarming:
        log.warning("publishing has recovered after %s", current.now - state.since)
        _notify_all(sess, current, recovered=True, since=state.since)
        state.alarming, state.recovered_at = False, current.now
    state.reason = current.reason
    state.checked_at = current.now
    sess.commit()
    return current


def _notify_all(sess: Session, current: Status, *, recovered: bool,
                since: datetime | None = None) -> None:
    """Every workspace hears about it: a stopped scheduler affects them all."""
    from app.auth.models import Workspace
    from app.notifications import service as notifications

    overdue = {ws: (n, oldest) for ws, n, oldest in sess.execute(
        sa.select(Post.workspace_id, sa.func.count(), sa.func.min(Post.schedule_at))
        .where(*_overdue_filter(None)).group_by(Post.workspace_id))}
    for workspace_id in sess.scalars(sa.select(Workspace.id)):
        if recovered:
            minutes = max(1, round((current.now - since).total_seconds() / 60)) if since else 0
            notifications.notify(
                sess, workspace_id, "scheduler_recovered", "Posts are being published again",
                f"The problem lasted about {minutes} minute(s).", email=True)
            continue
        body = "; ".join(_workspace_reasons(current, *overdue.get(workspace_id, (0, None))))
        notifications.notify(sess, workspace_id, "scheduler_alarm",
                             "Posts are not being published", body, email=True)


def _workspace_reasons(current: Status, overdue: int, oldest: datetime | None) -> list[str]:
    """The reasons as one workspace should read them (its own overdue posts only)."""
    scoped = Status(now=current.now, live_workers=current.live_workers,
                    last_tick_at=current.last_tick_at, overdue=overdue, oldest_due=oldest)
    return scoped.reasons or ["Posts of other workspaces are overdue: publishing is stuck"]


def remembered(sess: Session) -> AlarmState | None:
    return sess.get(AlarmState, ALARM)
