"""Interrupted uploads and lost answers: a chunk failing mid-upload, an attempt killed after N
chunks or right after the post was made; the next attempt (with what the first saved) resumes
or restarts cleanly, and the platform ends with exactly one post."""

from __future__ import annotations

import pytest

from app.platforms import errors
from app.platforms.graph import VERSION as GRAPH
from tests.channels.jobs import Recorder
from tests.media.conftest import jpeg, video


class Killed(Exception):
    """The worker died here (after the platform answered, before anything else was saved)."""


def kill_after(fragment: str, count: int, method: str | None = None):
    """A tweak that kills the attempt once `count` responses to matching requests came back."""
    def tweak(publisher):
        seen = [0]

        def hook(response):
            request = response.request
            if fragment in str(request.url) and (method is None or request.method == method):
                seen[0] += 1
                if seen[0] == count:
                    raise Killed(f"killed after {fragment} #{count}")
        publisher.client.event_hooks["response"].append(hook)
    return tweak


def small(publisher, size: int = 1024) -> None:
    publisher.chunk_size = size


def clip(stored):
    return stored(video(seconds=3.0, fps=25, size=(160, 120)), "clip.mp4")


def test_tiktok_killed_mid_upload_resumes_at_the_next_chunk(social, stored):
    p = social("tiktok")
    p.configure(min_chunk=1024)
    media, recorder = [clip(stored)], Recorder()
    with pytest.raises(Killed):
        p.run("Resumed", media, recorder=recorder,
              tweak=lambda pub: (small(pub), kill_after("/tiktok/upload/", 2)(pub)))
    assert not recorder.parts[0].extra["uploaded"]
    result, _ = p.run("Resumed", media, recorder=recorder, attempt=2, tweak=small)
    ranges = [r["headers"]["content-range"] for r in p.requests("upload")]
    assert len(ranges) == len(set(ranges)) > 2, "from the bytes TikTok has, none sent twice"
    assert len(p.requests("init")) == 1, "the same upload, not a new one"
    assert len(p.posts()) == 1 and result.provider_post_id == str(p.posts()[0]["id"])


def test_tiktok_chunk_failing_mid_upload_is_retried(social, stored):
    p = social("tiktok")
    p.configure(min_chunk=1024)
    p.fault("upload", "5xx", after=2)
    media, recorder = [clip(stored)], Recorder()
    with pytest.raises(errors.PlatformUnavailable):
        p.run("Chunk retry", media, recorder=recorder, tweak=small)
    p.run("Chunk retry", media, recorder=recorder, attempt=2, tweak=small)
    ranges = [r["headers"]["content-range"] for r in p.requests("upload")]
    assert ranges[2] == ranges[3] and ranges.count(ranges[0]) == 1
    assert len(p.posts()) == 1


def test_tiktok_expired_upload_link_restarts_cleanly(social, stored):
    p = social("tiktok")
    p.configure(min_chunk=1024)
    media, recorder = [clip(stored)], Recorder()
    with pytest.raises(Killed):
        p.run("Restart", media, recorder=recorder,
              tweak=lambda pub: (small(pub), kill_after("/tiktok/upload/", 2)(pub)))
    publishes = p.sandbox.state.bucket("tiktok", "publishes")
    for item in publishes.values():
        item["status"] = "FAILED"  # TikTok gave up on the unfinished upload
        item["fail_reason"] = "upload_expired"
    p.run("Restart", media, recorder=recorder, attempt=2, tweak=small)
    assert len(p.requests("init")) == 2 and len(p.posts()) == 1


def test_tiktok_killed_after_the_last_chunk_settles_by_status(social, stored):
    p = social("tiktok")
    media, recorder = [clip(stored)], Recorder()
    with pytest.raises(Killed):
        p.run("Settled", media, recorder=recorder, tweak=kill_after("/tiktok/upload/", 1))
    result, _ = p.run("Settled", media, recorder=recorder, attempt=2, method="reconcile")
    assert len(p.posts()) == 1 and result.provider_post_id == str(p.posts()[0]["id"])
    assert len(p.requests("upload")) == 1


def test_linkedin_killed_mid_video_upload_resumes(social, stored):
    p = social("linkedin")
    p.configure(part_bytes=2048)
    media, recorder = [clip(stored)], Recorder()
    with pytest.raises(Killed):
        p.run("Video", media, recorder=recorder, tweak=kill_after("/linkedin/upload/", 2))
    p.run("Video", media, recorder=recorder, attempt=2)
    inits = [r for r in p.requests("video") if r["args"].get("action") == "initializeUpload"]
    assert len(inits) == 1, "the same video upload is finished, not a second one"
    assert len(p.posts()) == 1


def test_linkedin_part_failing_is_retried_then_finalized_once(social, stored):
    p = social("linkedin")
    p.configure(part_bytes=2048)
    p.fault("upload", "5xx", after=1)
    media, recorder = [clip(stored)], Recorder()
    with pytest.raises(errors.PlatformUnavailable):
        p.run("Video", media, recorder=recorder)
    p.run("Video", media, recorder=recorder, attempt=2)
    finalizes = [r for r in p.requests("video") if r["args"].get("action") == "finalizeUpload"]
    assert len(finalizes) == 1 and len(p.posts()) == 1


def test_facebook_killed_after_a_chunk_arrived_resumes_where_meta_says(social, stored):
    p = social("facebook")
    p.configure(video_chunk_bytes=4096)
    media, recorder = [clip(stored)], Recorder()
    with pytest.raises(Killed):  # the first chunk arrived, its answer was never kept
        p.run("Video", media, recorder=recorder, tweak=kill_after("/videos", 2, "POST"))
    p.run("Video", media, recorder=recorder, attempt=2)
    sent = [(r["form"]["upload_phase"], r["form"].get("start_offset")) for r in p.requests("video")]
    assert sent[:4] == [("start", None), ("transfer", "0"), ("transfer", "0"),
                        ("transfer", "4096")], "refused with 1363037, the retry sends the chunk " \
        "Meta names in error_data, in the same session"
    assert [phase for phase, _ in sent].count("start") == 1 and sent[-1][0] == "finish"
    [post] = p.posts()
    assert post["kind"] == "video" and post["bytes"] > 4096


def test_facebook_photos_are_not_uploaded_twice(social, stored):
    p = social("facebook")
    p.fault("photo", "5xx", after=2)
    media, recorder = [stored(jpeg(800, 600), f"{i}.jpg") for i in range(4)], Recorder()
    with pytest.raises(errors.PlatformUnavailable):
        p.run("Album", media, recorder=recorder)
    p.run("Album", media, recorder=recorder, attempt=2)
    assert len(p.requests("photo")) == 5  # 2 + the failed one + its retry + the last
    [post] = p.posts()
    assert len(post["photos"]) == 4


def test_facebook_lost_post_answer_is_settled_from_the_page_feed(social):
    p = social("facebook")
    p.fault("feed", "lost", delay=1.5)
    recorder = Recorder()
    with pytest.raises(errors.OutcomeUnknown):
        p.run("Lost", recorder=recorder, tweak=lambda pub: setattr(pub.client, "timeout", 0.5))
    [made] = p.posts()
    result, _recorder = p.run("Lost", method="reconcile", recorder=recorder)
    assert result.provider_post_id == made["id"] and len(p.posts()) == 1
    recorder = Recorder()
    assert p.run("Never tried", recorder=recorder, method="reconcile")[0] is None


def test_facebook_lost_answer_with_nothing_in_the_feed_stays_unknown(social):
    p = social("facebook")
    p.fault("feed", "timeout", delay=1.5)
    recorder = Recorder()
    with pytest.raises(errors.OutcomeUnknown):
        p.run("Lost", recorder=recorder, tweak=lambda pub: setattr(pub.client, "timeout", 0.5))
    with pytest.raises(errors.OutcomeUnknown):
        p.run("Lost", method="reconcile", recorder=recorder)
    assert p.posts() == []


def test_instagram_killed_after_publishing_returns_the_post_not_a_second(social, stored):
    p = social("instagram")
    media, recorder = [stored(jpeg(1080, 1080), f"{i}.jpg") for i in range(2)], Recorder()
    with pytest.raises(Killed):
        p.run("Carousel", media, recorder=recorder, tweak=kill_after("/media_publish", 1))
    assert len(p.posts()) == 1
    result, _ = p.run("Carousel", media, recorder=recorder, attempt=2)
    assert len(p.posts()) == 1 and result.provider_post_id == p.posts()[0]["id"]
    settled, _ = p.run("Carousel", media, recorder=recorder, attempt=3, method="reconcile")
    assert settled.provider_post_id == result.provider_post_id


def test_instagram_reconcile_after_a_kill_before_publishing(social, stored):
    p = social("instagram")
    media, recorder = [clip(stored)], Recorder()
    p.configure(video_polls=1)
    with pytest.raises(Killed):
        p.run("Reel", media, recorder=recorder, tweak=kill_after(f"/{GRAPH}/", 2, "GET"))
    assert p.run("Reel", media, recorder=recorder, method="reconcile")[0] is None
    p.run("Reel", media, recorder=recorder, attempt=2)
    assert len(p.requests("container")) == 1, "the container is reused"
    assert len(p.posts()) == 1


def test_instagram_lost_publish_answer_is_settled_by_container_status(social, stored):
    p = social("instagram")
    p.fault("publish", "5xx")
    media = [stored(jpeg(1080, 1080))]
    recorder = Recorder()
    with pytest.raises(errors.PlatformUnavailable):
        p.run("Once", media, recorder=recorder)
    p.fault("publish", "lost", delay=1.5)
    result, _ = p.run("Once", media, recorder=recorder, attempt=2,
                      tweak=lambda pub: setattr(pub.client, "timeout", 0.5))
    assert len(p.posts()) == 1 and result.provider_post_id == p.posts()[0]["id"]


def test_tiktok_lost_photo_post_answer_is_an_unknown_outcome(social, stored):
    p = social("tiktok")
    p.fault("photo_init", "lost", delay=1.5)
    media, recorder = [stored(jpeg(1080, 1350), "a.jpg")], Recorder()
    with pytest.raises(errors.OutcomeUnknown):
        p.run("Lost", media, recorder=recorder,
              tweak=lambda pub: setattr(pub.client, "timeout", 0.5))
    with pytest.raises(errors.OutcomeUnknown):
        p.run("Lost", media, recorder=recorder, method="reconcile")


def test_polling_gives_up_after_its_deadline_and_the_retry_reuses_the_container(social, stored):
    from app.platforms.polling import Poller

    p = social("instagram")
    p.configure(video_polls=50)
    media, recorder = [clip(stored)], Recorder()
    slept: list[float] = []
    clock = [0.0]

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    def short(pub):
        pub.poller = Poller(timeout=60, first=2, factor=2, sleep=sleep, clock=lambda: clock[0])
    with pytest.raises(errors.PlatformUnavailable) as caught:
        p.run("Slow reel", media, recorder=recorder, tweak=short)
    assert "still processing" in caught.value.message
    assert slept == sorted(slept) and slept[0] == 2 and sum(slept) <= 60, "backoff, bounded"
    for container in p.sandbox.state.bucket("instagram", "containers").values():
        container["polls_left"] = 0  # Instagram has finished processing meanwhile
    p.run("Slow reel", media, recorder=recorder, attempt=2)
    assert len(p.requests("container")) == 1 and len(p.posts()) == 1


def test_facebook_video_needs_no_user_sign_in_so_its_expiry_changes_nothing(social, stored):
    p = social("facebook")
    p.token_action("expire", token=p.credentials["user_access_token"])
    result, _ = p.run("Video", [clip(stored)])
    p.run("Text still works")
    assert [post["kind"] for post in p.posts()] == ["video", "feed"]
    assert result.provider_post_id == p.posts()[0]["id"]


def test_facebook_video_upload_resumes_at_the_chunk_that_failed(social, stored):
    p = social("facebook")
    p.configure(video_chunk_bytes=4096)
    media, recorder = [clip(stored)], Recorder()
    p.fault("video", "5xx", after=2)  # start and the first chunk pass, the second fails
    with pytest.raises(errors.PlatformUnavailable):
        p.run("Resumed", media, recorder=recorder)
    p.run("Resumed", media, recorder=recorder, attempt=2)
    sent = [(r["form"]["upload_phase"], r["form"].get("start_offset")) for r in p.requests("video")]
    assert sent[:4] == [("start", None), ("transfer", "0"), ("transfer", "4096"),
                        ("transfer", "4096")], "the retry sends the failed chunk, not the file"
    [video] = p.posts()
    assert video["kind"] == "video" and video["bytes"] > 4096
