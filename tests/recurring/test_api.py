"""REST: recurring rules, posting slots, the queue."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.posts.models import Post
from app.recurring.models import PostingSlot, RecurringRule


def _rule_body(channel, **kw):
    return {"channel_ids": [str(channel.id)], "text": "Weekly tips",
            "rule": {"day_of_week": "mon-fri", "hour": 9, "minute": 0}, **kw}


def test_rule_lifecycle_over_rest(api, make_channel, db):
    channel = make_channel(api.workspace_id, timezone="Europe/Berlin")
    made = api.post("/recurring-rules", json=_rule_body(channel, name="tips"))
    assert made.status_code == 201, made.get_json()
    rule = made.get_json()
    assert rule["timezone"] == "Europe/Berlin" and rule["rule"]["day_of_week"] == "mon-fri"
    first = datetime.fromisoformat(rule["next_occurrences"][0])
    assert first.weekday() < 5 and first.astimezone().utcoffset() is not None
    occurrences = api.get(f"/recurring-rules/{rule['id']}/occurrences").get_json()["data"]
    assert occurrences[0]["post_id"] and occurrences[0]["state"] == "scheduled"
    assert occurrences[-1]["post_id"] is None and occurrences[-1]["state"] == "upcoming"
    post = api.get(f"/posts/{occurrences[0]['post_id']}").get_json()
    assert post["text"] == "Weekly tips" and post["state"] == "scheduled"

    edited = api.patch(f"/recurring-rules/{rule['id']}", json={"text": "Daily tips"})
    assert edited.status_code == 200
    assert api.get(f"/posts/{occurrences[0]['post_id']}").get_json()["text"] == "Daily tips"
    assert api.post(f"/recurring-rules/{rule['id']}/pause").get_json()["paused"] is True
    assert api.get(f"/posts/{occurrences[0]['post_id']}").get_json()["state"] == "canceled"
    assert api.post(f"/recurring-rules/{rule['id']}/pause").status_code == 409
    assert api.post(f"/recurring-rules/{rule['id']}/resume").get_json()["paused"] is False
    assert api.get("/recurring-rules").get_json()["data"][0]["id"] == rule["id"]
    assert api.delete(f"/recurring-rules/{rule['id']}").status_code == 204
    assert api.get(f"/recurring-rules/{rule['id']}").status_code == 404


def test_bad_rules_are_refused_with_the_field_and_nothing_is_made(api, make_channel, db):
    channel = make_channel(api.workspace_id)
    for body, field, words in [
        (_rule_body(channel, rule={"hour": "9-30"}), "rule", "invalid rule"),
        (_rule_body(channel, ends_at="2001-01-01T00:00:00Z"), "ends_at", "in the past"),
        (_rule_body(channel, timezone="Nowhere/Town"), "timezone", "unknown timezone"),
        (_rule_body(channel, rule={"hour": 9, "every": "day"}), "rule.every", "unknown field"),
    ]:
        answer = api.post("/recurring-rules", json=body)
        assert answer.status_code == 422, body
        error = answer.get_json()["error"]
        assert error["field"] == field and words in error["message"], error
    assert not db.scalars(sa.select(RecurringRule)).all()
    assert not db.scalars(sa.select(Post).where(Post.workspace_id == api.workspace_id)).all()


def test_slots_queue_and_reorder_over_rest(api, make_channel, db):
    channel = make_channel(api.workspace_id, timezone="America/New_York")
    made = api.post(f"/channels/{channel.id}/slots", json={"weekdays": ["tue", "thu"],
                                                           "time": "12:30"})
    assert made.status_code == 201
    assert [s["weekday"] for s in made.get_json()["data"]] == ["tue", "thu"]
    again = api.post(f"/channels/{channel.id}/slots", json={"weekdays": ["tue"], "time": "12:30"})
    assert again.status_code == 409 and "already" in again.get_json()["error"]["message"]
    bad = api.post(f"/channels/{channel.id}/slots", json={"weekdays": ["tue"], "time": "25:00"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "time"
    assert len(db.scalars(sa.select(PostingSlot)).all()) == 2

    ids = [api.post("/posts", json={"channel_id": str(channel.id), "text": f"post {i}"})
           .get_json()["id"] for i in range(3)]
    times = []
    for pid in ids:
        queued = api.post(f"/posts/{pid}/queue")
        assert queued.status_code == 200, queued.get_json()
        times.append(datetime.fromisoformat(queued.get_json()["schedule_at"]))
    local = [t.astimezone(ZoneInfo("America/New_York")) for t in times]
    assert times == sorted(times) and len(set(times)) == 3
    assert all(t.strftime("%a %H:%M") in ("Tue 12:30", "Thu 12:30") for t in local)
    queue = api.get(f"/channels/{channel.id}/queue").get_json()
    assert [p["id"] for p in queue["data"]] == ids and queue["next_free_slot"]

    reordered = api.post(f"/channels/{channel.id}/queue/reorder",
                         json={"post_ids": [ids[2], ids[0], ids[1]]})
    assert reordered.status_code == 200
    assert [p["id"] for p in reordered.get_json()["data"]] == [ids[2], ids[0], ids[1]]
    assert datetime.fromisoformat(api.get(f"/posts/{ids[2]}").get_json()["schedule_at"]) == \
        times[0]
    wrong = api.post(f"/channels/{channel.id}/queue/reorder",
                     json={"post_ids": [ids[0], ids[0]]})
    assert wrong.status_code == 422
    assert [p["id"] for p in api.get(f"/channels/{channel.id}/queue").get_json()["data"]] == \
        [ids[2], ids[0], ids[1]]
    slot_id = made.get_json()["data"][0]["id"]
    assert api.delete(f"/channels/{channel.id}/slots/{slot_id}").status_code == 204


def test_add_to_queue_without_slots_says_so(api, make_channel):
    channel = make_channel(api.workspace_id)
    pid = api.post("/posts", json={"channel_id": str(channel.id), "text": "x"}).get_json()["id"]
    answer = api.post(f"/posts/{pid}/queue")
    assert answer.status_code == 422 and "no posting slots" in answer.get_json()["error"]["message"]
    assert api.get(f"/posts/{pid}").get_json()["state"] == "draft"
