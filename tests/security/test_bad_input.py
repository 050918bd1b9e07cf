"""Property-based: schedule times and API bodies of any shape get an answer, never a crash."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import ValidationFailed
from app.timeutil import parse_schedule, zone

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
         "America/Santiago", "Pacific/Chatham"]
FIXTURES = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@given(st.text(max_size=40), st.one_of(st.none(), st.sampled_from(ZONES), st.text(max_size=20)))
@settings(max_examples=400, deadline=None)
def test_any_text_parses_or_is_refused_with_a_validation_error(text, tz):
    try:
        parsed = parse_schedule(text, tz)
    except ValidationFailed as exc:
        assert exc.message and exc.field
    else:
        assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1),
                    timezones=st.just(UTC)), st.sampled_from(ZONES))
@settings(max_examples=300, deadline=None)
def test_an_instant_with_an_offset_round_trips(instant, tz_name):
    moment = instant.astimezone(zone(tz_name))  # a real instant, written in that zone's offset
    # Compared with the UTC instant: Python never calls a wall time inside a DST overlap equal
    # to a time in another zone, even the same instant.
    assert parse_schedule(moment.isoformat(), None) == instant
    assert parse_schedule(moment.astimezone(UTC).isoformat().replace("+00:00", "Z"), "UTC") \
        == instant


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)),
       st.sampled_from(ZONES))
@settings(max_examples=400, deadline=None)
def test_a_local_time_means_that_wall_clock_time_or_is_refused(naive, tz_name):
    try:
        parsed = parse_schedule(naive.isoformat(), tz_name)
    except ValidationFailed as exc:
        assert "does not exist" in exc.message or "happens twice" in exc.message
    else:
        assert parsed.astimezone(zone(tz_name)).replace(tzinfo=None) == naive


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
POST_FIELDS = ["channel_id", "text", "parts", "media_ids", "schedule_at", "timezone", "options",
               "group_id"]
CHANNEL_FIELDS = ["platform", "handle", "display_name", "timezone", "app_password", "pds_url",
                  "instance_url", "access_token", "refresh_token", "expires_at", "account_id"]


def _bodies(fields, channel_ids=()):
    value = JSON | st.sampled_from(list(channel_ids) + ["2099-01-01T10:00:00", "Europe/Paris",
                                                        "mastodon", "bluesky", "x", ""])
    return st.one_of(JSON, st.dictionaries(st.sampled_from(fields), value, max_size=6))


def _assert_answered(answer):
    assert answer.status_code < 500, answer.get_data(as_text=True)
    if answer.status_code >= 400:
        error = answer.json["error"]
        assert error["code"] and error["message"] and error["request_id"]


@pytest.fixture
def quiet_api(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMITS", False)
    return api


@pytest.mark.parametrize("path,fields", [("/posts", POST_FIELDS), ("/channels", CHANNEL_FIELDS)])
def test_any_json_body_gets_an_answer_not_a_crash(quiet_api, make_channel, path, fields):
    channel_id = str(make_channel(quiet_api.workspace_id).id)

    @given(_bodies(fields, [channel_id]))
    @FIXTURES
    def check(body):
        _assert_answered(quiet_api.post(path, json=body))

    check()


def test_any_patch_of_a_post_gets_an_answer(quiet_api, make_channel):
    channel = make_channel(quiet_api.workspace_id)
    created = quiet_api.post("/posts", json={"channel_id": str(channel.id), "text": "start"})
    post_id = created.json["id"]

    @given(_bodies(POST_FIELDS))
    @FIXTURES
    def check(body):
        _assert_answered(quiet_api.patch(f"/posts/{post_id}", json=body))
        _assert_answered(quiet_api.post(f"/posts/{post_id}/schedule", json=body))

    check()


@given(st.binary(max_size=200))
@FIXTURES
def test_bytes_that_are_not_json_get_400(quiet_api, raw):
    answer = quiet_api.post("/posts", data=raw, headers={"Content-Type": "application/json"})
    _assert_answered(answer)
