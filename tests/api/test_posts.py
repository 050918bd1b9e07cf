"""The posts API: lifecycle over HTTP, scheduling in zones, and bad input refused untouched."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.posts.models import Post


def future(hours=2):
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


@pytest.fixture
def channel(api, make_channel):
    return make_channel(api.workspace_id, timezone="Europe/Paris")


def count_posts(db):
    return db.scalar(sa.select(sa.func.count()).select_from(Post))


def test_create_draft_then_schedule_then_cancel(api, channel):
    created = api.post("/posts", json={"channel_id": str(channel.id), "text": "hello"})
    assert created.status_code == 201
    post = created.get_json()
    assert post["state"] == "draft" and post["timezone"] == "Europe/Paris"
    assert created.headers["x-op-request-id"]
    scheduled = api.post(f"/posts/{post['id']}/schedule", json={"schedule_at": future()})
    assert scheduled.get_json()["state"] == "scheduled"
    canceled = api.post(f"/posts/{post['id']}/cancel")
    body = canceled.get_json()
    assert body["state"] == "canceled"
    assert [e["to"] for e in body["events"]] == ["draft", "scheduled", "canceled"]


def test_create_scheduled_with_local_time_in_channel_zone(api, channel):
    when = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT10:00:00")
    body = api.post("/posts", json={"channel_id": str(channel.id), "text": "hi",
                                    "schedule_at": when}).get_json()
    assert body["state"] == "scheduled"
    local = datetime.fromisoformat(body["schedule_at"].replace("Z", "+00:00"))
    from zoneinfo import ZoneInfo
    assert local.astimezone(ZoneInfo("Europe/Paris")).hour == 10


def test_unschedule_and_edit_then_reschedule(api, channel):
    post = api.post("/posts", json={"channel_id": str(channel.id), "text": "v1",
                                    "schedule_at": future()}).get_json()
    assert api.post(f"/posts/{post['id']}/unschedule").get_json()["state"] == "draft"
    edited = api.patch(f"/posts/{post['id']}", json={"text": "v2"}).get_json()
    assert edited["text"] == "v2"
    assert api.post(f"/posts/{post['id']}/schedule").get_json()["state"] == "scheduled"


def test_thread_parts_round_trip(api, channel):
    body = api.post("/posts", json={"channel_id": str(channel.id),
                                    "parts": [{"text": "one"}, {"text": "two"}]}).get_json()
    assert [p["text"] for p in body["parts"]] == ["one", "two"]
    assert body["text"] is None


def test_list_filters_and_paginates(api, channel):
    for i in range(3):
        api.post("/posts", json={"channel_id": str(channel.id), "text": f"p{i}"})
    api.post("/posts", json={"channel_id": str(channel.id), "text": "s", "schedule_at": future()})
    drafts = api.get("/posts?state=draft&limit=2").get_json()
    assert len(drafts["data"]) == 2 and drafts["next_cursor"]
    rest = api.get(f"/posts?state=draft&limit=2&cursor={drafts['next_cursor']}").get_json()
    assert len(rest["data"]) == 1 and rest["next_cursor"] is None
    texts = {p["text"] for p in drafts["data"] + rest["data"]}
    assert texts == {"p0", "p1", "p2"}
    assert [p["text"] for p in api.get("/posts?state=scheduled").get_json()["data"]] == ["s"]


def test_retry_only_for_failed(api, channel):
    post = api.post("/posts", json={"channel_id": str(channel.id), "text": "x"}).get_json()
    answer = api.post(f"/posts/{post['id']}/retry")
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "conflict"


def test_illegal_transition_is_409_and_changes_nothing(api, channel, db):
    post = api.post("/posts", json={"channel_id": str(channel.id), "text": "x"}).get_json()
    api.post(f"/posts/{post['id']}/cancel")
    answer = api.post(f"/posts/{post['id']}/unschedule")
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "invalid_transition"
    assert api.get(f"/posts/{post['id']}").get_json()["state"] == "canceled"


def test_delete_draft_but_not_scheduled(api, channel):
    draft = api.post("/posts", json={"channel_id": str(channel.id), "text": "x"}).get_json()
    sched = api.post("/posts", json={"channel_id": str(channel.id), "text": "y",
                                     "schedule_at": future()}).get_json()
    assert api.delete(f"/posts/{draft['id']}").status_code == 204
    assert api.get(f"/posts/{draft['id']}").status_code == 404
    refused = api.delete(f"/posts/{sched['id']}")
    assert refused.status_code == 409 and "cancel it first" in refused.get_json()["error"]["message"]


BAD = [
    ("malformed json", b'{"text": ', 400, "invalid_json", None),
    ("not an object", b'[1, 2]', 400, "invalid_json", None),
    ("unknown field", {"text": "x", "colour": "red"}, 422, "validation_error", "colour"),
    ("wrong type", {"text": 42}, 422, "validation_error", "text"),
    ("bad channel id", {"channel_id": "nope", "text": "x"}, 422, "validation_error", "channel_id"),
    ("past time", {"text": "x", "schedule_at": "2020-01-01T00:00:00Z"}, 422, "validation_error",
     "schedule_at"),
    ("unknown zone", {"text": "x", "schedule_at": "2030-01-01T10:00:00", "timezone": "Nowhere/X"},
     422, "validation_error", "timezone"),
    ("dst gap", {"text": "x", "schedule_at": "2030-03-31T02:30:00", "timezone": "Europe/Paris"},
     422, "validation_error", "schedule_at"),
    ("no content", {}, 422, "validation_error", "text"),
    ("both contents", {"text": "x", "parts": [{"text": "y"}]}, 422, "validation_error", "text"),
    ("empty text", {"text": "   "}, 422, "validation_error", "text"),
    ("foreign media", {"text": "x", "media_ids": ["6f1c0a52-7c43-4b8e-9d69-1f1b7b4c2a10"]}, 422,
     "validation_error", "media_ids"),
]


@pytest.mark.parametrize("name,body,status,code,field", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_and_changes_nothing(api, channel, db, name, body, status, code,
                                                  field):
    before = count_posts(db)
    if isinstance(body, dict):
        body = {"channel_id": str(channel.id), **body}
        answer = api.post("/posts", json=body)
    else:
        answer = api.post("/posts", data=body, content_type="application/json")
    assert answer.status_code == status, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == code
    assert error["request_id"] == answer.headers["x-op-request-id"]
    if field:
        assert error.get("field") == field and field in error["message"] + error["field"]
    assert count_posts(db) == before


def test_oversized_body_is_413(api, channel, db, app):
    before = count_posts(db)
    huge = "x" * (app.config["MAX_JSON_BYTES"] + 10)
    answer = api.post("/posts", json={"channel_id": str(channel.id), "text": huge})
    assert answer.status_code == 413
    assert answer.get_json()["error"]["code"] == "payload_too_large"
    assert count_posts(db) == before


def test_another_workspaces_channel_is_refused(api, make_user, make_channel, db):
    other = make_user()
    foreign = make_channel(other.memberships[0].workspace_id)
    answer = api.post("/posts", json={"channel_id": str(foreign.id), "text": "x"})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["field"] == "channel_id"


def test_another_workspaces_post_is_404_and_untouched(api, make_user, make_channel, make_api_key,
                                                      client):
    other = make_user()
    other_ws = other.memberships[0].workspace_id
    foreign_channel = make_channel(other_ws)
    their = make_api_key(other_ws)
    post = client.post("/api/v1/posts", headers=their,
                       json={"channel_id": str(foreign_channel.id), "text": "theirs",
                             "schedule_at": future()}).get_json()
    for method, path in [("get", ""), ("patch", ""), ("delete", ""), ("post", "/cancel"),
                         ("post", "/unschedule"), ("post", "/schedule"), ("post", "/retry")]:
        kw = {"json": {"text": "mine"}} if method == "patch" else {}
        answer = getattr(api, method)(f"/posts/{post['id']}{path}", **kw)
        assert answer.status_code == 404, (method, path)
    still = client.get(f"/api/v1/posts/{post['id']}", headers=their).get_json()
    assert (still["state"], still["text"]) == ("scheduled", "theirs")


def test_missing_or_revoked_key_is_401(client, workspace, make_api_key, db):
    from app.auth import service
    from app.auth.models import ApiKey

    assert client.get("/api/v1/posts").status_code == 401
    headers = make_api_key(workspace[0])
    assert client.get("/api/v1/posts", headers=headers).status_code == 200
    key = db.scalars(sa.select(ApiKey).where(ApiKey.workspace_id == workspace[0])).first()
    service.revoke_api_key(db, workspace[0], key.id, "test")
    answer = client.get("/api/v1/posts", headers=headers)
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthorized"


def test_unknown_route_answers_json_404(api):
    answer = api.get("/nothing-here")
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"


def test_log_lines_of_a_request_carry_its_request_id(api, channel, caplog):
    import logging

    caplog.set_level(logging.INFO)
    logging.getLogger("app.test").info("before")
    answer = api.post("/posts", json={"channel_id": str(channel.id), "text": "x",
                                      "schedule_at": "1999-01-01T00:00:00Z"},
                      headers={"x-op-request-id": "client-chosen-id-1"})
    assert answer.headers["x-op-request-id"] == "client-chosen-id-1"
    assert answer.get_json()["error"]["request_id"] == "client-chosen-id-1"
    outside = [r for r in caplog.records if r.getMessage() == "before"]
    assert outside and outside[0].request_id == "-"
    refused = [r for r in caplog.records if "the date and time is in the past" in r.getMessage()]
    assert refused and refused[0].request_id == "client-chosen-id-1"
