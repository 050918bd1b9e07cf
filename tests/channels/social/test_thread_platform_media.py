"""Four-image posts and video on X and Bluesky, and carousels on Threads, against the sandbox."""

from __future__ import annotations

import pytest

from app.errors import ValidationFailed
from app.platforms import errors
from app.platforms.base import Part
from app.platforms.polling import instant
from app.platforms.registry import get_publisher
from tests.channels.jobs import Recorder, client, make_job
from tests.channels.social.test_resume import Killed, kill_after
from tests.media.conftest import jpeg, video


def run(p, text, media, recorder=None, tweak=None, attempt=1):
    job, recorder = make_job(p.name, p.settings, p.credentials, text, handle=p.handle,
                             media=media, recorder=recorder, attempt=attempt, key="media-key")
    with client() as http:
        publisher = get_publisher(p.name, http)
        publisher.poller = instant()
        if tweak:
            tweak(publisher)
        return publisher.publish(job), recorder


def four(stored):
    return [stored(jpeg(640, 480), f"{i}.jpg", alt=f"image {i}") for i in range(4)]


def clip(stored, seconds=2.0):
    return stored(video(seconds=seconds, fps=25, size=(160, 120)), "clip.mp4")


def test_x_four_images_on_one_post(platforms, stored):
    p = platforms("x")
    result, _ = run(p, "Four images", four(stored))
    [post] = p.posts()
    assert len(post["media_ids"]) == 4 and len(p.requests("upload")) == 4
    assert len(p.requests("metadata")) == 4, "each alt text is sent"


def test_bluesky_four_images_with_alt_text(platforms, stored):
    p = platforms("bluesky")
    run(p, "Four images", four(stored))
    [post] = p.posts()
    images = post["embed"]["images"]
    assert post["embed"]["$type"] == "app.bsky.embed.images"
    assert [i["alt"] for i in images] == [f"image {i}" for i in range(4)]
    assert all(i["aspectRatio"] == {"width": 640, "height": 480} for i in images)


@pytest.mark.parametrize("name", ["x", "bluesky"])
def test_a_fifth_image_is_refused_at_schedule_time(name, stored, db):
    media = four(stored) + [stored(jpeg(64, 64), "5.jpg")]
    with pytest.raises(ValidationFailed) as caught:
        get_publisher(name, None).validate([Part("Five", media)], {}, {})
    assert "5 images" in caught.value.message


def test_x_video_is_uploaded_in_segments_and_processed_before_posting(platforms, stored):
    p = platforms("x")
    result, _ = run(p, "A video", [clip(stored)],
                    tweak=lambda pub: setattr(pub, "video_chunk", 2048))
    [post] = p.posts()
    upload = p.sandbox.state.bucket("x", "uploads")[post["media_ids"][0]]
    assert upload["state"] == "succeeded" and len(upload["segments"]) > 1
    assert [r["form"]["segment_index"] for r in p.requests("append")] == \
        [str(i) for i in range(len(upload["segments"]))]
    assert p.requests("status"), "STATUS was polled"


def test_x_killed_mid_video_upload_continues_the_same_upload(platforms, stored):
    p = platforms("x")
    media, recorder = [clip(stored)], Recorder()

    def tweak(pub):
        pub.video_chunk = 2048
        kill_after("/append", 2)(pub)
    with pytest.raises(Killed):
        run(p, "Killed video", media, recorder=recorder, tweak=tweak)
    run(p, "Killed video", media, recorder=recorder, attempt=2,
        tweak=lambda pub: setattr(pub, "video_chunk", 2048))
    assert len(p.requests("initialize")) == 1
    indexes = [r["form"]["segment_index"] for r in p.requests("append")]
    assert indexes[1] == indexes[2] == "1", "only the segment in flight is sent again"
    assert len(p.posts()) == 1


def test_x_video_failing_processing_is_a_media_error(platforms, stored):
    p = platforms("x")
    p.http.post(f"{p.sandbox.url}/_control/settings", json={"platform": "x", "fail_video": True})
    with pytest.raises(errors.MediaRejected) as caught:
        run(p, "Bad video", [clip(stored)])
    assert "Unsupported video format" in caught.value.message
    assert p.posts() == []


def test_x_video_too_long_is_refused_at_schedule_time():
    item = {"id": "v", "content_type": "video/mp4", "width": 160, "height": 120,
            "duration_ms": 150_000}
    with pytest.raises(ValidationFailed) as caught:
        get_publisher("x", None).validate([Part("Long", [item])], {}, {})
    assert "at most 140 s" in caught.value.message


def test_bluesky_video_embed(platforms, stored):
    p = platforms("bluesky")
    item = clip(stored)
    run(p, "A video", [item])
    [post] = p.posts()
    embed = post["embed"]
    assert embed["$type"] == "app.bsky.embed.video"
    assert embed["video"]["mimeType"] == "video/mp4" and embed["video"]["size"] > 0
    assert embed["aspectRatio"] == {"width": 160, "height": 120}


def test_threads_carousel_of_three(platforms, stored):
    p = platforms("threads")
    result, _ = run(p, "A carousel", [stored(jpeg(800, 800), f"{i}.jpg") for i in range(3)])
    [post] = p.posts()
    containers = p.sandbox.state.bucket("threads", "containers")
    carousel = containers[post["container"]]
    children = carousel["children"].split(",")
    assert carousel["media_type"] == "CAROUSEL" and len(children) == 3
    assert all(containers[c]["carousel_item"] == "true" for c in children)
    assert result.provider_post_id == post["id"]


def test_threads_carousel_over_twenty_is_refused(stored, db):
    media = [{"id": str(i), "content_type": "image/jpeg"} for i in range(21)]
    with pytest.raises(ValidationFailed):
        get_publisher("threads", None).validate([Part("Too many", media)], {}, {})


def test_threads_carousel_mixing_a_video_waits_for_each_item(platforms, stored):
    p = platforms("threads")
    media = [stored(jpeg(800, 800), "a.jpg", alt="A square"),
             stored(video(seconds=2.0, fps=25, size=(160, 120)), "v.mp4")]
    assert get_publisher("threads", None).validate([Part("Mixed", media)], {}, {}) == []
    run(p, "Mixed", media)
    [post] = p.posts()
    containers = p.sandbox.state.bucket("threads", "containers")
    children = containers[post["container"]]["children"].split(",")
    assert [containers[c]["media_type"] for c in children] == ["IMAGE", "VIDEO"]
    assert all(containers[c]["status"] == "FINISHED" for c in children)
    assert containers[children[0]]["image_url"].split("?")[1].count("v=threads") == 1


def test_threads_carousel_resumes_with_the_items_already_made(platforms, stored):
    p = platforms("threads")
    media, recorder = [stored(jpeg(800, 800), f"{i}.jpg") for i in range(3)], Recorder()
    p.fault("container", "5xx", after=2)
    with pytest.raises(errors.PlatformUnavailable):
        run(p, "Three", media, recorder=recorder)
    run(p, "Three", media, recorder=recorder, attempt=2)
    assert len(p.requests("container")) == 5  # 2 items, the failed third and its retry, the carousel
    assert len(p.posts()) == 1
