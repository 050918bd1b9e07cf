"""The list of posts reads lean (plain rows), yet each item is exactly the single post's read."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.posts.models import Post, PostEvent


def _canonical(value) -> str:
    # Text, so 1 and 1.0 or true and 1 (equal in Python) still count as different.
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _varied_posts(api, channel, db) -> list[str]:
    """Posts in every shape the read can take: draft, scheduled, a published thread with
    per-part results, a failed post with its error and event detail, a canceled one."""
    def create(**body):
        return api.post("/posts", json={"channel_id": str(channel.id), **body}).get_json()["id"]

    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    ids = [create(text="brouillon é 🚀"),
           create(text="scheduled", schedule_at=later, options={"visibility": "unlisted"}),
           create(parts=[{"text": "one"}, {"text": "two"}, {"text": "three"}]),
           create(text="will fail"),
           create(text="canceled", schedule_at=later)]
    api.post(f"/posts/{ids[4]}/cancel")
    published_at = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)  # no microseconds
    db.execute(sa.update(Post).where(Post.id == uuid.UUID(ids[2])).values(
        state="published", attempts=1, published_at=published_at,
        media_ids=[str(uuid.uuid4())], live_url="https://example.social/@me/1",
        provider_post_id="1", warnings=["alt text missing"],
        results=[{"index": 0, "provider_post_id": "1", "live_url": "https://example.social/1"},
                 {"index": 1, "provider_post_id": "2", "live_url": None}]))
    db.execute(sa.update(Post).where(Post.id == uuid.UUID(ids[3])).values(
        state="failed", attempts=3, error_code="platform_error", error_message="boom",
        next_attempt_at=published_at + timedelta(microseconds=5)))
    db.add(PostEvent(post_id=uuid.UUID(ids[3]), workspace_id=api.workspace_id,
                     from_state="publishing", to_state="failed", actor="worker:1",
                     request_id="req-123456", detail={"error": {"code": "platform_error",
                                                                "message": "boom", "n": 2**40}}))
    db.commit()
    return ids


def test_each_listed_post_is_its_single_read(api, make_channel, db):
    channel = make_channel(api.workspace_id, timezone="Europe/Paris")
    ids = _varied_posts(api, channel, db)
    listed = api.get("/posts").get_json()["data"]
    assert sorted(p["id"] for p in listed) == sorted(ids)
    for item in listed:
        single = api.get(f"/posts/{item['id']}").get_json()
        assert _canonical(item) == _canonical(single)
    failed = next(p for p in listed if p["id"] == ids[3])
    assert failed["error"] == {"code": "platform_error", "message": "boom"}
    assert failed["events"][-1]["detail"]["error"]["n"] == 2**40
    thread = next(p for p in listed if p["id"] == ids[2])
    assert [p["provider_post_id"] for p in thread["parts"]] == ["1", "2", None]
    assert thread["published_at"] == "2026-05-01T12:00:00Z"


def test_pages_of_one_post_walk_the_same_reads(api, make_channel, db):
    channel = make_channel(api.workspace_id)
    ids = _varied_posts(api, channel, db)
    seen, cursor = [], None
    while True:
        page = api.get("/posts?limit=1" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(p["id"] for p in seen) == sorted(ids)
    assert [_canonical(p) for p in seen] == [
        _canonical(api.get(f"/posts/{p['id']}").get_json()) for p in seen]


def test_a_value_orjson_refuses_still_lists_the_same_reads(api, make_channel, db):
    # An integer past 64 bits (kept in an event's detail) takes the standard library's path.
    channel = make_channel(api.workspace_id)
    ids = _varied_posts(api, channel, db)
    db.add(PostEvent(post_id=uuid.UUID(ids[1]), workspace_id=api.workspace_id,
                     from_state="scheduled", to_state="scheduled", actor="worker:1",
                     detail={"big": 2**70}))
    db.commit()
    listed = {p["id"]: p for p in api.get("/posts").get_json()["data"]}
    assert listed[ids[1]]["events"][-1]["detail"] == {"big": 2**70}
    for post_id in ids:
        assert _canonical(listed[post_id]) == _canonical(api.get(f"/posts/{post_id}").get_json())
    assert listed[ids[3]]["next_attempt_at"] == "2026-05-01T12:00:00.000005Z"
