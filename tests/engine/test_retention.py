"""Retention: what has served its purpose leaves the database; nothing still needed does."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ops import retention
from app.ops.models import IdempotentRequest, WorkerHeartbeat
from app.outbox.models import OutboxMessage
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from jobs.config import EngineConfig
from jobs.maintenance import Maintenance

DAYS = timedelta(days=1)


def _seed(sess: Session, ws, now) -> dict:
    """One row of each kind, old or recent, finished or not; {label: its key}."""
    def outbox(label, processed, created):
        sess.add(row := OutboxMessage(workspace_id=ws, kind="webhook", event_type="post.draft",
                                      payload={"label": label}, created_at=created,
                                      processed_at=processed))
        return row

    rows = {"outbox delivered 40 days ago": outbox("a", now - 40 * DAYS, now - 40 * DAYS),
            "outbox delivered yesterday": outbox("b", now - DAYS, now - DAYS),
            "outbox undelivered for 40 days": outbox("c", None, now - 40 * DAYS)}
    endpoint = WebhookEndpoint(workspace_id=ws, url="https://hooks.example/x", secrets_enc=b"x")
    sess.add(endpoint)
    sess.flush()
    for label, status, age in (("delivery done 40 days ago", "succeeded", 40),
                               ("delivery failed 40 days ago", "failed", 40),
                               ("delivery done yesterday", "succeeded", 1),
                               ("delivery still pending after 40 days", "pending", 40)):
        sess.add(row := WebhookDelivery(workspace_id=ws, endpoint_id=endpoint.id,
                                        event_id=uuid.uuid4(), event_type="post.draft",
                                        payload={}, status=status, created_at=now - age * DAYS))
        rows[label] = row
    for label, stopped in (("worker stopped 40 days ago", now - 40 * DAYS),
                           ("worker stopped yesterday", now - DAYS),
                           ("worker running for 40 days", None)):
        sess.add(row := WorkerHeartbeat(id=f"test-{uuid.uuid4().hex}", host="h", pid=1,
                                        version="t", started_at=now - 40 * DAYS,
                                        stopped_at=stopped))
        rows[label] = row
    for label, age in (("idempotency key of 2 days ago", 2 * DAYS),
                       ("idempotency key of an hour ago", timedelta(hours=1))):
        sess.add(row := IdempotentRequest(workspace_id=ws, key=uuid.uuid4().hex,
                                          request_hash="h", created_at=now - age))
        rows[label] = row
    sess.commit()
    return {label: sa.inspect(row).identity for label, row in rows.items()}


def _left(engine, seeded: dict) -> set[str]:
    with Session(engine) as sess:
        return {label for label, key in seeded.items()
                if sess.get(_model(label), key[0] if len(key) == 1 else key) is not None}


def _model(label: str):
    return {"outbox": OutboxMessage, "delivery": WebhookDelivery, "worker": WorkerHeartbeat,
            "idempotency": IdempotentRequest}[label.split()[0]]


def test_finished_rows_past_their_retention_are_removed_and_nothing_else(pg, space):
    with Session(pg) as sess:
        seeded = _seed(sess, space.workspace_id, sess.scalar(sa.select(sa.func.now())))
    try:
        removed = retention.sweep(pg, retention_days=30, idempotency_hours=24)
        assert _left(pg, seeded) == {
            "outbox delivered yesterday", "outbox undelivered for 40 days",
            "delivery done yesterday", "delivery still pending after 40 days",
            "worker stopped yesterday", "worker running for 40 days",
            "idempotency key of an hour ago"}
        assert removed["outbox"] >= 1 and removed["webhook_deliveries"] >= 2
    finally:
        with Session(pg) as sess:
            sess.execute(sa.delete(WorkerHeartbeat).where(WorkerHeartbeat.id.like("test-%")))
            sess.commit()


def test_retention_is_a_duty_of_the_scheduler_run_once_per_period(pg, space):
    from jobs import duties, schedule_store
    from jobs.scheduler import SchedulerHolder

    cfg = EngineConfig(housekeeping=False, retention_seconds=3600)
    sweeps = Maintenance(pg, cfg, runner=None)
    SchedulerHolder(pg, cfg, sweeps)._ensure_duties()
    [job] = [j for j in schedule_store.list_jobs(pg) if j.id == "retention"]
    assert (job.func, job.trigger) == ("jobs.duties:retention", "interval[1:00:00]")
    assert job.next_run_at is not None
    with Session(pg) as sess:
        now = sess.scalar(sa.select(sa.func.now()))
        first = _seed(sess, space.workspace_id, now)
    duties.bind(sweeps)
    try:
        detail = duties.retention()  # what the holder runs when the job fires
    finally:
        duties.bind(None)
        with Session(pg) as sess:
            sess.execute(sa.delete(WorkerHeartbeat).where(WorkerHeartbeat.id.like("test-%")))
            sess.commit()
    assert "outbox delivered 40 days ago" not in _left(pg, first)
    assert "from outbox" in detail


def _seed_access(sess: Session, ws, now) -> tuple[object, dict]:
    """A user with sessions, invites and reset links, live or ended; (user id, {label: row})."""
    from app.auth.models import Invite, PasswordReset, User, UserSession

    user = User(email=f"r{uuid.uuid4().hex[:8]}@example.com", name="", password_hash="x")
    sess.add(user)
    sess.flush()
    rows = {}
    for label, created, seen in (("session used an hour ago", 10, timedelta(hours=1)),
                                 ("session unused for 31 days", 40, 31 * DAYS),
                                 ("session signed in 91 days ago", 91, timedelta(minutes=1))):
        rows[label] = UserSession(id=uuid.uuid4().hex, user_id=user.id,
                                  created_at=now - created * DAYS, last_seen_at=now - seen)
    for label, ended in (("invite pending", {}), ("invite accepted 40 days ago", "accepted_at"),
                         ("invite withdrawn 40 days ago", "revoked_at"),
                         ("invite accepted yesterday", "accepted_at")):
        when = {ended: now - (DAYS if "yesterday" in label else 40 * DAYS)} if ended else {}
        rows[label] = Invite(workspace_id=ws, email="x@example.com", role="member",
                             token_hash=uuid.uuid4().hex, expires_at=now + 5 * DAYS, **when)
    rows["invite expired 40 days ago"] = Invite(workspace_id=ws, email="x@example.com",
                                                role="member", token_hash=uuid.uuid4().hex,
                                                expires_at=now - 40 * DAYS)
    for label, expires, used in (("reset pending", DAYS, None),
                                 ("reset used 40 days ago", DAYS, now - 40 * DAYS),
                                 ("reset expired 40 days ago", -40 * DAYS, None),
                                 ("reset expired yesterday", -DAYS, None)):
        rows[label] = PasswordReset(workspace_id=ws, user_id=user.id, used_at=used,
                                    token_hash=uuid.uuid4().hex, expires_at=now + expires)
    sess.add_all(rows.values())
    sess.commit()
    return user.id, {label: (type(row), sa.inspect(row).identity[0]) for label, row in rows.items()}


def test_ended_sessions_and_links_are_removed_and_live_ones_kept(pg, space):
    from app.auth.models import User

    with Session(pg) as sess:
        user_id, seeded = _seed_access(sess, space.workspace_id,
                                       sess.scalar(sa.select(sa.func.now())))
    try:
        removed = retention.sweep(pg, retention_days=30, idempotency_hours=24)
        with Session(pg) as sess:
            left = {label for label, (model, key) in seeded.items() if sess.get(model, key)}
        assert left == {"session used an hour ago", "invite pending", "invite accepted yesterday",
                        "reset pending", "reset expired yesterday"}
        assert removed["user_sessions"] >= 2 and removed["invites"] >= 3
        assert removed["password_resets"] >= 2
    finally:
        with Session(pg) as sess:
            sess.execute(sa.delete(User).where(User.id == user_id))
            sess.commit()
