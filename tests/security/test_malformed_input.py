"""Hand-made malformed input: each case gets a 4xx that names what is wrong, never a 500."""

from __future__ import annotations

import io

import pytest

from tests.conftest import login
from tests.dashboard.conftest import Session


@pytest.fixture
def quiet(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMITS", False)


@pytest.fixture
def signed_in(client, workspace):
    assert login(client, workspace[1].email).status_code == 302
    return Session(client, workspace[1], workspace[0])


def _refused(answer, field: str | None):
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.get_data(as_text=True))
    if answer.is_json:
        error = answer.json["error"]
        assert error["message"]
        if field:
            assert error["field"] == field or field in error["message"], error
    elif field:
        assert field in answer.get_data(as_text=True)


def _nested(depth: int) -> bytes:
    return b'{"channel_id": "x", "options": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("depth", [200, 1_000, 100_000])
def test_deeply_nested_json_is_400(quiet, api, depth):
    answer = api.post("/posts", data=_nested(depth), headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "nested" in answer.json["error"]["message"]


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"9" * 5000])
def test_numbers_json_cannot_hold_are_400(quiet, api, make_channel, number):
    channel = make_channel(api.workspace_id)
    raw = (b'{"channel_id": "' + str(channel.id).encode() + b'", "text": "x", '
           b'"options": {"mastodon": {"n": ' + number + b"}}}")
    answer = api.post("/posts", data=raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json["error"]["code"] == "invalid_json"
    assert api.get("/posts").json["data"] == []


def test_deep_json_under_an_idempotency_key_is_400(quiet, api):
    answer = api.post("/posts", data=_nested(5_000), headers={
        "Content-Type": "application/json", "Idempotency-Key": "deep-1"})
    assert answer.status_code == 400


@pytest.mark.parametrize("value", ["²", "٣", "1_0", " 5", "+5", "5²"])
def test_a_limit_that_is_not_ascii_digits_is_400_naming_it(quiet, api, value):
    answer = api.get("/posts", query_string={"limit": value})
    assert answer.status_code in (400, 422)
    assert answer.json["error"]["field"] == "limit"


@pytest.mark.parametrize("path", ["/audit-log", "/notifications", "/media"])
def test_unicode_digits_in_any_list_query_are_refused(quiet, api, path):
    for name in ("limit", "before", "cursor"):
        answer = api.get(path, query_string={name: "²"})
        assert answer.status_code < 500, (path, name, answer.get_data(as_text=True))


@pytest.mark.parametrize("when,tz", [
    ("9999-12-31T23:59:59", "America/New_York"),
    ("9999-12-31T23:59:59-05:00", None),
    ("9999-12-31T23:00:00+00:00", None),
    ("0001-01-01T00:00:00+01:00", None),
    ("0001-01-01T00:00:00", "Asia/Tokyo"),
    ("0001-01-01T00:00:00Z", None),
])
def test_a_schedule_time_at_the_ends_of_the_calendar_is_refused(quiet, api, make_channel,
                                                                  when, tz):
    channel = make_channel(api.workspace_id)
    body = {"channel_id": str(channel.id), "text": "far", "schedule_at": when}
    if tz:
        body["timezone"] = tz
    _refused(api.post("/posts", json=body), "schedule_at")
    assert api.get("/posts").json["data"] == []


def test_token_expiry_at_the_end_of_time_is_refused(quiet, api):
    answer = api.post("/channels", json={"platform": "mastodon", "handle": "@a",
                                         "instance_url": "https://m.example",
                                         "access_token": "t",
                                         "expires_at": "9999-12-31T23:59:59-14:00"})
    _refused(answer, "expires_at")


@pytest.mark.parametrize("name", ["from", "to"])
def test_audit_filters_at_the_end_of_time_are_refused(quiet, api, name):
    _refused(api.get("/audit-log", query_string={name: "9999-12-31T23:59:59-12:00"}), name)


def test_nul_in_a_json_string_is_refused_naming_the_field(quiet, api, make_channel):
    channel = make_channel(api.workspace_id)
    answer = api.post("/posts", json={"channel_id": str(channel.id), "text": "a\x00b"})
    _refused(answer, "text")


def test_nul_in_alt_text_is_refused(quiet, api, local_storage):
    from tests.media.conftest import jpeg

    made = api.post("/media", data={"file": (io.BytesIO(jpeg()), "a.jpg")},
                    content_type="multipart/form-data")
    media_id = made.json["id"]
    _refused(api.patch(f"/media/{media_id}", json={"alt_text": "x\x00y"}), "alt_text")
    upload = api.post("/media", data={"file": (io.BytesIO(jpeg()), "b.jpg"),
                                      "alt_text": "nul\x00here"},
                      content_type="multipart/form-data")
    _refused(upload, "alt_text")
    assert len(api.get("/media").json["data"]) == 1


def test_a_lone_surrogate_in_json_is_refused(quiet, api, make_channel):
    channel = make_channel(api.workspace_id)
    raw = b'{"channel_id": "' + str(channel.id).encode() + b'", "text": "broken \\ud800 pair"}'
    answer = api.post("/posts", data=raw, headers={"Content-Type": "application/json"})
    _refused(answer, "text")
    assert api.get("/posts").json["data"] == []


def test_nul_in_a_query_parameter_is_refused(quiet, api):
    _refused(api.get("/posts", query_string={"state": "a\x00"}), "state")


@pytest.mark.parametrize("path,data,field", [
    ("/compose", {"part": "hello\x00world", "schedule_at": ""}, "part"),
    ("/settings/webhooks", {"url": "https://93.184.216.34/", "description": "d\x00"},
     "description"),
    ("/settings/api-keys", {"name": "key\x00"}, "name"),
    ("/settings/members", {"email": "a\x00@example.com", "password": "p" * 12,
                           "role": "member"}, "email"),
])
def test_nul_in_a_dashboard_form_field_is_refused(quiet, signed_in, path, data, field):
    answer = signed_in.post(path, data=data)
    _refused(answer, field)


def test_nul_in_the_sign_in_form_is_refused(client, make_user):
    make_user()
    answer = login(client, "someone\x00@example.com")
    assert 400 <= answer.status_code < 500


@pytest.mark.parametrize("query", [{"from": "9999-12-31"}, {"to": "9999-12-31"},
                                   {"from": "0001-01-01"}, {"to": "0001-01-01"}])
def test_post_list_dates_at_the_ends_of_the_calendar_are_refused(quiet, signed_in,
                                                                 query):
    answer = signed_in.get("/", query_string=query)
    _refused(answer, next(iter(query)))


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_calendar_at_the_ends_of_the_calendar_is_refused(quiet, signed_in, day):
    _refused(signed_in.get("/calendar", query_string={"date": day}), "date")
    _refused(signed_in.get("/calendar", query_string={"date": day, "view": "week"}), "date")


def test_rescheduling_to_the_end_of_time_is_refused(quiet, signed_in, db, make_channel):
    from app.posts import service

    post = service.create_post(db, signed_in.workspace_id, "test",
                               channel_id=make_channel(signed_in.workspace_id).id, text="t",
                               schedule_at="2099-01-01T00:00:00Z")
    answer = signed_in.post(f"/posts/{post.id}/reschedule",
                            data={"schedule_at": "9999-12-31T23:59"})
    _refused(answer, "schedule_at")


@pytest.mark.parametrize("name,value", [("s", "é"), ("e", "²"), ("e", "9" * 400), ("w", "é")])
def test_a_tampered_media_link_is_refused(client, name, value):
    import uuid

    from app.media.signing import signed_path

    path, _, _ = signed_path(uuid.uuid4(), uuid.uuid4()).partition("?")
    answer = client.get(path, query_string={"w": "x", "e": "1", "s": "y", name: value})
    assert answer.status_code == 403
