"""The notification center: the bell's count, the list, marking read, per-person isolation."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.notifications.models import Notification


def _bell_count(html: str) -> int:
    return int(re.search(r'<span class="bell-count">(\d+)</span>', html).group(1))


def test_failures_reach_the_bell_and_the_list(signed_in, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    make_post(channel, "failed", error=("rate_limited", "Too Many Requests"))
    make_post(channel, "failed", error=("media_error", "image too large"))
    assert _bell_count(signed_in.get("/").get_data(as_text=True)) == 2
    bell = signed_in.get("/notifications/bell", htmx=True).get_data(as_text=True)
    assert _bell_count(bell) == 2 and 'hx-trigger="every 15s"' in bell
    assert bell.count('id="bell"') == 1  # the bell's own poll gets no second, out-of-band bell
    html = signed_in.get("/notifications").get_data(as_text=True)
    assert "rate_limited: Too Many Requests" in html and "media_error: image too large" in html
    assert html.count('class="notification unread') == 2


def test_mark_one_then_all_read(signed_in, db, make_channel, make_post):
    channel = make_channel(signed_in.workspace_id)
    make_post(channel, "failed")
    make_post(channel, "failed")
    first = db.scalars(sa.select(Notification).where(
        Notification.user_id == signed_in.user.id)).first()
    answer = signed_in.post(f"/notifications/{first.id}/read")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and html.count('class="notification unread') == 1
    assert _bell_count(html) == 1  # the out-of-band bell in the same answer
    answer = signed_in.post("/notifications/read-all")
    assert _bell_count(answer.get_data(as_text=True)) == 0
    assert signed_in.get("/notifications").get_data(as_text=True).count('notification unread') == 0


def test_someone_elses_notification_cannot_be_marked(signed_in, db, make_user, make_channel,
                                                     make_post):
    other = make_user()
    make_post(make_channel(other.memberships[0].workspace_id), "failed")
    theirs = db.scalars(sa.select(Notification).where(Notification.user_id == other.id)).one()
    assert signed_in.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert signed_in.post("/notifications/read-all", csrf=False).status_code == 400
    db.expire_all()
    assert db.get(Notification, theirs.id).read_at is None
