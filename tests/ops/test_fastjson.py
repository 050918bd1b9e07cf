"""Fast JSON keeps the standard library's results, even where orjson alone would refuse."""

import json
from datetime import UTC, datetime


def test_huge_integers_and_unicode_round_trip_through_the_api(api, make_channel):
    channel = make_channel(api.workspace_id)
    options = {"n": 2**70, "f": 1.5, "s": "été 🚀", "nested": [{"k": None}]}
    created = api.post("/posts", json={"channel_id": str(channel.id), "text": "json",
                                       "options": options})
    assert created.status_code == 201
    assert api.get(f"/posts/{created.json['id']}").json["options"] == options


def test_datetimes_keep_flasks_format(app):
    with app.app_context():
        from flask import json

        assert json.dumps({"at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)}) == \
            '{"at":"Fri, 02 Jan 2026 03:04:05 GMT"}'
        assert json.loads(json.dumps({1: "non-string key"})) == {"1": "non-string key"}


def test_api_answers_are_compact_utf8_json_with_sorted_keys(api, make_channel):
    channel = make_channel(api.workspace_id)
    api.post("/posts", json={"channel_id": str(channel.id), "text": "été 🚀",
                             "options": {"b": 1, "a": [2.5, None, True]}})
    answer = api.get("/posts")
    assert answer.mimetype == "application/json"
    assert answer.get_data() == json.dumps(
        answer.get_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode() + b"\n"
    assert "été 🚀".encode() in answer.get_data()
