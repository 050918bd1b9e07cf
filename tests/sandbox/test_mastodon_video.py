"""Mastodon video through the sandbox instance, as https://docs.joinmastodon.org/methods/media/
documents it: the upload answers 202 with url null, GET /api/v1/media/:id answers 206 until the
video is processed, and the instance refuses what its configuration.media_attachments excludes."""

from __future__ import annotations

import httpx
import pytest

from app.errors import ValidationFailed
from app.platforms.base import Part
from app.platforms.polling import instant
from app.platforms.registry import get_publisher
from tests.channels.jobs import client, make_job
from tests.media.conftest import jpeg, video


def _upload(sandbox, token, data, name="clip.mp4", kind="video/mp4"):
    return httpx.post(f"{sandbox.url}/mastodon/api/v2/media",
                      headers={"Authorization": f"Bearer {token}"},
                      files={"file": (name, data, kind)})


def test_a_video_post_waits_for_processing_and_carries_the_video(platforms, db, workspace):
    from app.media.service import describe, upload

    p = platforms("mastodon")
    media = describe(upload(db, workspace[0], "test", "clip.mp4", video(seconds=2.0)))
    job, _ = make_job("mastodon", p.settings, p.credentials, "A short video", media=[media])
    with client() as http:
        publisher = get_publisher("mastodon", http)
        publisher.poller = instant()
        result = publisher.publish(job)
    [post] = p.posts()
    assert result.provider_post_id == str(post["id"]) and len(post["media_ids"]) == 1
    # 202 on upload, then 206 twice while processing, then 200: only then the status.
    assert len(p.requests("media_status")) == 3
    assert p.sandbox.state.bucket("mastodon", "media")[post["media_ids"][0]]["type"] == "video"


def test_a_status_naming_a_video_still_processing_is_refused(platforms, sandbox):
    p = platforms("mastodon")
    answer = _upload(sandbox, p.token, video(seconds=1.0))
    assert answer.status_code == 202 and answer.json()["url"] is None
    status = httpx.post(f"{sandbox.url}/mastodon/api/v1/statuses",
                        headers={"Authorization": f"Bearer {p.token}"},
                        json={"status": "too early", "media_ids": [answer.json()["id"]]})
    assert status.status_code == 422
    assert "not finished processing" in status.json()["error"]
    assert p.posts() == []


def test_the_instance_refuses_a_video_over_its_limit_and_unknown_types(platforms, sandbox):
    p = platforms("mastodon")
    httpx.post(f"{sandbox.url}/_control/settings",
               json={"platform": "mastodon", "video_size_limit": 1024})
    limits = httpx.get(f"{sandbox.url}/mastodon/api/v2/instance").json()
    assert limits["configuration"]["media_attachments"]["video_size_limit"] == 1024
    over = _upload(sandbox, p.token, video(seconds=1.0))
    assert over.status_code == 422 and "size" in over.json()["error"]
    odd = _upload(sandbox, p.token, b"\x00" * 64, "clip.avi", "video/x-msvideo")
    assert odd.status_code == 422 and "content type" in odd.json()["error"]


def test_a_video_with_images_is_refused_by_the_instance_and_by_openpost(platforms, sandbox, db,
                                                                      workspace):
    from app.media.service import describe, upload

    p = platforms("mastodon")
    clip = _upload(sandbox, p.token, video(seconds=1.0)).json()["id"]
    photo = _upload(sandbox, p.token, jpeg(64, 64), "a.jpg", "image/jpeg").json()["id"]
    for _ in range(3):  # processed
        httpx.get(f"{sandbox.url}/mastodon/api/v1/media/{clip}",
                  headers={"Authorization": f"Bearer {p.token}"})
    mixed = httpx.post(f"{sandbox.url}/mastodon/api/v1/statuses",
                       headers={"Authorization": f"Bearer {p.token}"},
                       json={"status": "mixed", "media_ids": [clip, photo]})
    assert mixed.status_code == 422 and "video" in mixed.json()["error"]

    items = [describe(upload(db, workspace[0], "test", "clip.mp4", video(seconds=1.0))),
             describe(upload(db, workspace[0], "test", "a.jpg", jpeg(64, 64)))]
    with pytest.raises(ValidationFailed) as caught:
        get_publisher("mastodon", None).validate([Part("mixed", items)], p.settings, {})
    assert "one video alone" in caught.value.message


def test_openpost_refuses_a_video_over_the_channels_instance_limit(platforms, db, workspace):
    from app.media.service import describe, upload

    p = platforms("mastodon")
    item = describe(upload(db, workspace[0], "test", "clip.mp4", video(seconds=1.0)))
    settings = {**p.settings, "video_size_limit": 1024,
                "supported_mime_types": ["image/jpeg", "video/mp4"]}
    with pytest.raises(ValidationFailed) as caught:
        get_publisher("mastodon", None).validate([Part("big", [item])], settings, {})
    assert "takes videos up to" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        get_publisher("mastodon", None).validate(
            [Part("webm only", [item])], {**p.settings, "supported_mime_types": ["video/webm"]},
            {})
    assert "does not take video/mp4" in caught.value.message
    assert p.requests() == []


def test_a_video_still_processing_is_polled_again_on_retry_not_sent_again(platforms, db,
                                                                         workspace):
    from app.media.service import describe, upload
    from app.platforms import errors

    p = platforms("mastodon")
    media = describe(upload(db, workspace[0], "test", "clip.mp4", video(seconds=2.0)))
    job, recorder = make_job("mastodon", p.settings, p.credentials, "A slow video",
                             media=[media], key="slow-video")
    hurried = instant()
    hurried.timeout = 1.0  # gives up while the instance is still processing
    with client() as http:
        publisher = get_publisher("mastodon", http)
        publisher.poller = hurried
        with pytest.raises(errors.PlatformUnavailable) as caught:
            publisher.publish(job)
        assert isinstance(caught.value, errors.RetryableError) and p.posts() == []
        job, _ = make_job("mastodon", p.settings, p.credentials, "A slow video",
                          media=[media], key="slow-video", recorder=recorder, attempt=2)
        publisher.poller = instant()
        publisher.publish(job)
    assert len(p.requests("upload")) == 1, "the saved upload is polled again, not sent again"
    [post] = p.posts()
    assert len(post["media_ids"]) == 1
