"""Bluesky record keys: two posts of one channel at the same instant never share a key, and a
record of another post found at a part's key is never taken for that part."""

from __future__ import annotations

from datetime import UTC, datetime

from app.platforms.bluesky.publisher import tid
from app.platforms.registry import get_publisher
from tests.channels.jobs import client, make_job

SAME_INSTANT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def run(p, texts, key, *, recorder=None, reconcile=False):
    job, recorder = make_job(p.name, p.settings, p.credentials, texts, handle=p.handle, key=key,
                             recorder=recorder)
    job.schedule_at = SAME_INSTANT
    with client() as http:
        publisher = get_publisher(p.name, http)
        return (publisher.reconcile(job) if reconcile else publisher.publish(job)), recorder


def test_posts_scheduled_at_the_same_instant_get_different_keys():
    keys = {tid(f"post-{n}", 0, SAME_INSTANT) for n in range(2000)}
    assert len(keys) == 2000


def test_two_posts_at_the_same_instant_are_both_published(platforms):
    p = platforms("bluesky")
    # These two keys once gave the same record key (the same 10 hash bits at the same time).
    first, _ = run(p, ["The first post"], "same-instant-14")
    second, _ = run(p, ["The second post"], "same-instant-42")
    assert [post["text"] for post in p.posts()] == ["The first post", "The second post"]
    assert first.provider_post_id != second.provider_post_id


def test_a_record_of_another_post_at_the_key_is_not_adopted(platforms):
    p = platforms("bluesky")
    # The same key and instant force the same first record key for two different posts.
    first, _ = run(p, ["Someone else's words"], "shared-key")
    second, _ = run(p, ["My own words"], "shared-key")
    assert [post["text"] for post in p.posts()] == ["Someone else's words", "My own words"]
    assert second.provider_post_id == p.posts()[1]["id"] != first.provider_post_id


def test_reconcile_does_not_take_another_posts_record(platforms):
    p = platforms("bluesky")
    run(p, ["Someone else's words"], "shared-key")
    settled, _ = run(p, ["Never published"], "shared-key", reconcile=True)
    assert settled is None


def test_a_reply_with_another_parent_is_not_adopted(platforms):
    p = platforms("bluesky")
    run(p, ["Same opening", "Same reply"], "thread-key")
    # A second thread with the same key: its own first part, so its reply has another parent.
    second, _ = run(p, ["Another opening", "Same reply"], "thread-key")
    posts = p.posts()
    assert len(posts) == 4
    assert second.parts[1].provider_post_id == posts[3]["id"]
    assert posts[3]["reply_to"] == second.parts[0].provider_post_id
