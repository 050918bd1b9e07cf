"""Many processes checking the alarm at once still send one alert per incident (real commits)."""

import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.ops import alarm


@pytest.mark.concurrency
def test_concurrent_checks_alert_once(engine):
    name = f"alarm-{uuid.uuid4().hex[:8]}"
    with Session(engine) as sess:
        from app.auth import service as auth

        sess.execute(sa.text("DELETE FROM workers"))
        sess.execute(sa.text("DELETE FROM ops_alarms"))
        # The state row exists from an earlier, recovered incident: only its lock orders them.
        sess.execute(sa.text("INSERT INTO ops_alarms (name, alarming, reason) "
                             "VALUES ('publishing', false, '')"))
        sess.commit()
        user = auth.create_user(sess, f"{name}@example.com", "correct horse battery", name)
        ws = user.memberships[0].workspace_id
    barrier, errors = threading.Barrier(8), []

    def check():
        try:
            with Session(engine) as own:
                barrier.wait(timeout=10)
                alarm.check_and_alert(own)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=check) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        with engine.connect() as conn:
            alerts = conn.scalar(sa.text("SELECT count(*) FROM notifications WHERE "
                                         "workspace_id = :w AND kind = 'scheduler_alarm'"),
                                 {"w": ws})
            emails = conn.scalar(sa.text("SELECT count(*) FROM outbox WHERE workspace_id = :w "
                                         "AND event_type = 'scheduler_alarm'"), {"w": ws})
        assert not errors and alerts == 1 and emails == 1
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM workspaces WHERE name = :n"), {"n": name})
            conn.execute(sa.text("DELETE FROM users WHERE email = :e"), {"e": f"{name}@example.com"})
            conn.execute(sa.text("DELETE FROM ops_alarms"))
