"""The database's post_summary() (webhook payloads of every transition) and the API's Python
post_summary() describe a post identically, whatever its content and outcome."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.posts.models import Post
from app.posts.serialize import post_summary

AT = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)

CASES = {
    "plain draft": {"text": "hello", "state": "draft"},
    "scheduled, whole second": {"text": "hi", "state": "scheduled", "schedule_at": AT},
    "microseconds kept": {"text": "hi", "state": "scheduled",
                          "schedule_at": AT + timedelta(microseconds=120)},
    "thread half published": {
        "text": None, "state": "publishing", "schedule_at": AT,
        "parts": [{"text": "one", "media_ids": []}, {"text": "two", "media_ids": ["m1"]},
                  {"media_ids": []}],
        "results": [{"index": 0, "provider_post_id": "111", "live_url": "https://x/1"},
                    {"index": 1, "provider_post_id": "old", "live_url": None},
                    {"index": 1, "provider_post_id": "222", "live_url": "https://x/2",
                     "extra": {"cid": "c"}}],
        "next_attempt_at": AT + timedelta(minutes=2), "attempts": 2},
    "empty thread": {"text": None, "state": "draft", "parts": []},
    "failed with reason": {"text": "bye", "state": "failed", "schedule_at": AT,
                           "error_code": "platform_error", "error_message": "x: HTTP 500"},
    "published with warnings and options": {
        "text": "ok", "state": "published", "schedule_at": AT, "live_url": "https://m/1",
        "provider_post_id": "1", "published_at": AT + timedelta(seconds=1, microseconds=5),
        "warnings": ["alt text trimmed"], "options": {"visibility": "unlisted", "n": 2},
        "media_ids": ["a", "b"], "results": [{"index": 0, "provider_post_id": "1"}]},
    "unicode": {"text": "caf\u00e9 \U0001f600 \"quoted\" \\", "state": "draft"},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_database_summary_equals_python_summary(db, workspace, make_channel, case):
    ws_id, _user = workspace
    values = {"options": {}, "media_ids": [], "results": [], "warnings": [], **CASES[case]}
    post = Post(workspace_id=ws_id, channel_id=make_channel(ws_id).id, timezone="Europe/Paris",
                **values)
    db.add(post)
    db.flush()
    db.refresh(post)  # the server-side defaults (created_at, updated_at) as stored
    in_sql = db.scalar(sa.text("SELECT post_summary(p) FROM posts AS p WHERE p.id = :id"),
                       {"id": post.id})
    assert in_sql == post_summary(post)
