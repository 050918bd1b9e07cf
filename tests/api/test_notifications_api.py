"""Notifications over the API: listed newest first, marked read one by one or all at once."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.notifications import service
from app.notifications.models import Notification


def test_list_and_mark_read(api, db, workspace):
    ws, _owner = workspace
    for i in range(3):
        service.notify(db, ws, "post_failed", f"failure {i}", "details")
        # One test is one transaction, where now() stands still: space them out by hand.
        db.execute(sa.update(Notification).where(Notification.title == f"failure {i}")
                   .values(created_at=datetime(2026, 1, 1, 12, i, tzinfo=UTC)))
    db.commit()
    listed = api.get("/notifications").get_json()["data"]
    assert [n["title"] for n in listed] == ["failure 2", "failure 1", "failure 0"]
    assert api.post(f"/notifications/{listed[0]['id']}/read").get_json() == {"marked_read": 1}
    unread = api.get("/notifications?unread=true").get_json()["data"]
    assert [n["title"] for n in unread] == ["failure 1", "failure 0"]
    assert api.post("/notifications/read").get_json() == {"marked_read": 2}
    assert api.get("/notifications?unread=1").get_json()["data"] == []
    page = api.get("/notifications?limit=2").get_json()
    rest = api.get(f"/notifications?limit=2&cursor={page['next_cursor']}").get_json()
    assert len(page["data"]) == 2 and len(rest["data"]) == 1


def test_unknown_notification_is_404(api):
    answer = api.post("/notifications/00000000-0000-0000-0000-000000000000/read")
    assert answer.status_code == 404
