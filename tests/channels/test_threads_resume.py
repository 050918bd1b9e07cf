"""Threads as reply chains; a failure mid-thread resumes after the last published part, and a
lost answer is settled without posting twice (checked against the sandbox's record)."""

from __future__ import annotations

import pytest

from app.platforms import errors
from app.platforms.base import PartResult
from app.platforms.registry import get_publisher
from tests.channels.jobs import Recorder, client, make_job

CREATE_OP = {"x": "create", "bluesky": "create", "mastodon": "create", "threads": "publish"}
PARTS = ["First part of the thread.", "Second part of the thread.", "Third and last part."]


def run(p, recorder=None, key="thread-key", timeout=5.0, attempt=1, texts=PARTS):
    job, recorder = make_job(p.name, p.settings, p.credentials, texts, handle=p.handle, key=key,
                             recorder=recorder, attempt=attempt)
    with client(timeout) as http:
        return get_publisher(p.name, http).publish(job), recorder


def chain(p) -> list[tuple[str, str | None]]:
    return [(post["text"], post["reply_to"]) for post in p.posts()]


@pytest.mark.parametrize("name", ["x", "bluesky", "mastodon", "threads"])
def test_thread_is_a_reply_chain(platforms, name):
    p = platforms(name)
    result, _ = run(p)
    posts = p.posts()
    assert [post["text"] for post in posts] == PARTS
    ids = [part.provider_post_id for part in result.parts]
    assert posts[0]["reply_to"] is None
    assert [post["reply_to"] for post in posts[1:]] == ids[:2]
    assert result.live_url == result.parts[0].live_url
    if name == "bluesky":
        assert all(post["root"] == ids[0] for post in posts[1:])


@pytest.mark.parametrize("name", ["x", "bluesky", "mastodon", "threads"])
def test_failure_mid_thread_resumes_without_reposting(platforms, name):
    p = platforms(name)
    p.fault(CREATE_OP[name], "5xx", after=1)
    recorder = Recorder()
    with pytest.raises(errors.PlatformUnavailable):
        run(p, recorder=recorder)
    assert [post["text"] for post in p.posts()] == PARTS[:1]
    result, _ = run(p, recorder=recorder)
    posts = p.posts()
    assert [post["text"] for post in posts] == PARTS, "no part posted twice"
    assert posts[1]["reply_to"] == result.parts[0].provider_post_id
    assert [r.index for r in result.parts] == [0, 1, 2]


def test_x_lost_answer_is_an_unknown_outcome_not_a_second_post(platforms):
    p = platforms("x")
    p.fault("create", "lost", delay=1.5)
    with pytest.raises(errors.OutcomeUnknown):
        run(p, timeout=0.5, texts=["Only once"])
    assert len(p.posts()) == 1


def test_bluesky_lost_answer_is_settled_by_get_record(platforms):
    p = platforms("bluesky")
    p.fault("create", "lost", delay=1.5)
    result, _ = run(p, timeout=0.5, texts=["Only once"])
    assert len(p.posts()) == 1
    assert result.provider_post_id == p.posts()[0]["id"]


def test_bluesky_retry_after_a_500_with_the_same_key_never_duplicates(platforms):
    p = platforms("bluesky")
    first, _ = run(p, texts=["Only once"], key="k1")
    # A whole new attempt with the same idempotency key: same record key, settled as done.
    again, _ = run(p, texts=["Only once"], key="k1", attempt=2)
    assert len(p.posts()) == 1
    assert again.provider_post_id == first.provider_post_id


def test_mastodon_lost_answer_retried_with_the_same_key_posts_once(platforms):
    p = platforms("mastodon")
    p.fault("create", "lost", delay=1.5)
    with pytest.raises(errors.NetworkError) as caught:
        run(p, timeout=0.5, texts=["Only once"], key="m1")
    assert caught.value.sent
    result, _ = run(p, texts=["Only once"], key="m1", attempt=2)
    assert len(p.posts()) == 1
    assert result.provider_post_id == p.posts()[0]["id"]


def test_threads_lost_publish_is_settled_by_the_container_status(platforms):
    p = platforms("threads")
    p.fault("publish", "lost", delay=1.5)
    result, recorder = run(p, timeout=0.5, texts=["Only once"])
    assert len(p.posts()) == 1
    assert result.provider_post_id == p.posts()[0]["id"]
    assert recorder.parts[0].extra["container_id"] == p.posts()[0]["container"]


@pytest.mark.parametrize("name", ["bluesky", "mastodon", "threads"])
def test_reconcile_finds_what_a_dead_worker_published(platforms, name):
    p = platforms(name)
    first, recorder = run(p, key="r1")
    expected = [r.provider_post_id for r in first.parts]
    # The worker died before recording parts 2 and 3 (Threads keeps the container ids).
    for index in (1, 2):
        if name == "threads":
            recorder.parts[index] = PartResult(index, "", extra=recorder.parts[index].extra)
        else:
            del recorder.parts[index]
    job, recorder = make_job(p.name, p.settings, p.credentials, PARTS, handle=p.handle, key="r1",
                             recorder=recorder)
    with client() as http:
        settled = get_publisher(name, http).reconcile(job)
    assert settled is not None
    assert [r.provider_post_id for r in settled.parts] == expected
    assert len(p.posts()) == 3


@pytest.mark.parametrize("name", ["bluesky", "mastodon", "threads"])
def test_reconcile_says_none_when_nothing_was_posted(platforms, name):
    p = platforms(name)
    job, _ = make_job(p.name, p.settings, p.credentials, PARTS, handle=p.handle, key="never")
    with client() as http:
        assert get_publisher(name, http).reconcile(job) is None


def test_x_reconcile_cannot_tell_unless_every_part_is_recorded(platforms):
    p = platforms("x")
    first, recorder = run(p, key="x1")
    job, _ = make_job("x", p.settings, p.credentials, PARTS, handle=p.handle, recorder=recorder)
    with client() as http:
        assert get_publisher("x", http).reconcile(job).provider_post_id == first.provider_post_id
        del recorder.parts[2]
        job, _ = make_job("x", p.settings, p.credentials, PARTS, handle=p.handle, recorder=recorder)
        with pytest.raises(errors.OutcomeUnknown):
            get_publisher("x", http).reconcile(job)
