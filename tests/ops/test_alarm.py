"""The loud alarm: overdue posts or silent workers show a banner, alert once, and recover once."""

import re

import sqlalchemy as sa

from app.notifications.models import Notification
from app.ops import alarm
from app.ops.models import WorkerHeartbeat
from app.outbox.models import OutboxMessage
from app.posts.models import Post
from tests.conftest import login


def _worker(db, name="w1", ago_s=0, stopped=False):
    db.execute(sa.delete(WorkerHeartbeat).where(WorkerHeartbeat.id == name))
    db.add(WorkerHeartbeat(id=name, host="h", pid=1, version="t", posts_claimed=0, in_flight=0,
                           last_tick_at=sa.func.now() - sa.text(f"interval '{ago_s} seconds'"),
                           stopped_at=sa.func.now() if stopped else None))
    db.commit()


def _overdue_post(db, workspace_id, channel, seconds=120):
    from app.posts import service

    post = service.create_post(db, workspace_id, "test", channel_id=channel.id, text="late one",
                               schedule_at="2099-01-01T00:00:00Z")
    db.execute(sa.update(Post).where(Post.id == post.id).values(
        schedule_at=sa.func.now() - sa.text(f"interval '{seconds} seconds'")))
    db.commit()
    return post


def _alerts(db, kind):
    return db.scalar(sa.select(sa.func.count()).select_from(Notification)
                     .where(Notification.kind == kind))


def _emails(db, kind):
    return db.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                     .where(OutboxMessage.kind == "email", OutboxMessage.event_type == kind))


def test_no_worker_alarms_and_says_why(quiet_ops, db):
    status = alarm.status(db)
    assert status.alarming and "No worker has ever run" in status.reason
    _worker(db, ago_s=0)
    assert not alarm.status(db).alarming
    _worker(db, ago_s=90)
    assert "No worker has checked in since" in alarm.status(db).reason


def test_cleanly_stopped_worker_is_not_alive(quiet_ops, db):
    _worker(db, stopped=True)
    assert alarm.status(db).live_workers == 0


def test_overdue_post_alarms_even_with_a_live_worker(quiet_ops, db, workspace, make_channel):
    _worker(db)
    ws, _owner = workspace
    _overdue_post(db, ws, make_channel(ws), seconds=30)
    assert not alarm.status(db).alarming  # due 30 s ago: still within the grace
    _overdue_post(db, ws, make_channel(ws), seconds=120)
    status = alarm.status(db)
    assert status.alarming and status.overdue == 1 and "overdue" in status.reason


def test_alerts_once_per_incident_and_once_on_recovery(quiet_ops, db, workspace, make_channel, make_user):
    ws, owner = workspace
    make_user(workspace=owner.memberships[0].workspace.name, role="member")
    _worker(db, ago_s=200)
    alarm.check_and_alert(db)
    alarm.check_and_alert(db)
    alarm.check_and_alert(db)
    assert _alerts(db, "scheduler_alarm") == 2  # one per member of the one workspace
    assert _emails(db, "scheduler_alarm") == 1  # one email, to the owner
    email = db.scalar(sa.select(OutboxMessage).where(OutboxMessage.event_type == "scheduler_alarm"))
    assert email.payload["to"] == [owner.email] and "No worker" in email.payload["body"]
    assert alarm.remembered(db).alarming
    _worker(db, ago_s=0)
    alarm.check_and_alert(db)
    alarm.check_and_alert(db)
    assert _alerts(db, "scheduler_recovered") == 2 and _emails(db, "scheduler_recovered") == 1
    assert not alarm.remembered(db).alarming
    _worker(db, ago_s=200)
    alarm.check_and_alert(db)
    assert _emails(db, "scheduler_alarm") == 2  # a new incident alerts again


def test_banner_on_every_page_with_reason(quiet_ops, client, db, workspace, make_channel):
    ws, owner = workspace
    login(client, owner.email)
    _worker(db)
    page = client.get("/").get_data(as_text=True)
    assert 'id="ops-alarm"' in page and "not being published" not in page
    _overdue_post(db, ws, make_channel(ws))
    page = client.get("/").get_data(as_text=True)
    assert "Posts are not being published." in page and "1 scheduled post is overdue" in page
    fragment = client.get("/ops/alarm", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.strip().startswith('<div id="ops-alarm"') and "overdue" in fragment


def test_banner_counts_only_this_workspace(quiet_ops, client, db, make_user, make_channel):
    mine, theirs = make_user(), make_user()
    _worker(db)
    ws = theirs.memberships[0].workspace_id
    _overdue_post(db, ws, make_channel(ws))
    login(client, mine.email)
    assert "not being published" not in client.get("/").get_data(as_text=True)


def test_banner_not_shown_to_signed_out_visitors(quiet_ops, client, db, make_user):
    make_user()
    page = client.get("/login").get_data(as_text=True)
    assert not re.search(r'id="ops-alarm"', page)
