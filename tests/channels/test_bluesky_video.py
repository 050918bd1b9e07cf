"""Bluesky video through the video service over real HTTP to the sandbox: service-auth tokens,
upload limits, the processing job polled with backoff, a failed job's message, resuming."""

from __future__ import annotations

import pytest

from app.platforms import errors
from app.platforms.polling import Poller, instant
from app.platforms.registry import get_publisher
from tests.channels.jobs import Recorder, client, make_job
from tests.media.conftest import video


def run(p, media, recorder=None, poller=None, text="A video", key="video-key"):
    job, recorder = make_job("bluesky", p.settings, p.credentials, text, handle=p.handle,
                             media=media, recorder=recorder, key=key)
    with client() as http:
        publisher = get_publisher("bluesky", http)
        publisher.poller = poller or instant()
        return publisher.publish(job), recorder


def clip(stored, seconds=1.0):
    return stored(video(seconds=seconds, fps=25, size=(160, 120)), "clip.mp4", alt="A clip")


def configure(p, **values):
    answer = p.http.post(f"{p.sandbox.url}/_control/settings", json={"platform": "bluesky",
                                                                     **values})
    assert answer.status_code == 200


def jobs(p) -> list[dict]:
    return list(p.sandbox.state.bucket("bluesky", "video_jobs").values())


def test_a_video_post_goes_through_the_processing_job(platforms, stored):
    p = platforms("bluesky")
    configure(p, video_polls=3)
    result, _ = run(p, [clip(stored)])
    [job] = jobs(p)
    assert job["state"] == "JOB_STATE_COMPLETED"
    [post] = p.posts()
    assert post["embed"]["$type"] == "app.bsky.embed.video" and post["embed"]["alt"] == "A clip"
    assert post["embed"]["video"] == job["blob"], "the record embeds the blob the job made"
    assert result.provider_post_id == post["id"]
    assert p.requests("upload") == [], "the video does not go to the PDS as a plain blob"
    limits_auth, upload_auth = p.requests("service_auth")
    assert limits_auth["args"]["lxm"] == "app.bsky.video.getUploadLimits"
    assert upload_auth["args"]["lxm"] == "com.atproto.repo.uploadBlob"
    host = p.sandbox.url.split("://")[1].replace(":", "%3A")
    assert upload_auth["args"]["aud"] == f"did:web:{host}", "the audience is the account's PDS"
    [upload] = p.requests("video_upload")
    assert upload["args"]["did"] == p.account["did"]
    assert upload["headers"]["content-type"] == "video/mp4"
    assert len(p.requests("video_status")) == 4, "polled through the states to completion"


def test_a_failed_job_fails_the_post_with_the_services_message(platforms, stored):
    p = platforms("bluesky")
    configure(p, video_fail="Video is longer than 3 minutes")
    with pytest.raises(errors.MediaRejected) as caught:
        run(p, [clip(stored)])
    assert caught.value.code == "media_error"
    assert "Video is longer than 3 minutes" in caught.value.message
    assert p.posts() == []


@pytest.mark.parametrize("switch,error,words", [
    ({"video_daily_videos": 0}, errors.RateLimited, "daily upload limit"),
    ({"video_refusal": "Confirm your email address before uploading videos"},
     errors.PlatformRejected, "Confirm your email address"),
])
def test_the_upload_limits_are_read_before_uploading(platforms, stored, switch, error, words):
    p = platforms("bluesky")
    configure(p, **switch)
    with pytest.raises(error) as caught:
        run(p, [clip(stored)])
    assert words in caught.value.message
    assert p.requests("video_upload") == [] and p.posts() == []


def test_polling_backs_off_then_gives_up_and_the_retry_continues_the_same_job(platforms,
                                                                               stored):
    p = platforms("bluesky")
    configure(p, video_polls=12)
    waits: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    slow = Poller(timeout=30.0, first=2.0, factor=1.5, longest=8.0, sleep=sleep,
                  clock=lambda: now[0])
    media, recorder = [clip(stored)], Recorder()
    with pytest.raises(errors.PlatformUnavailable) as caught:
        run(p, media, recorder=recorder, poller=slow)
    assert "still processing" in caught.value.message
    assert waits[:4] == [2.0, 3.0, 4.5, 6.75] and max(waits) == 8.0 and sum(waits) <= 30.0
    assert p.posts() == [] and recorder.parts[0].extra["bsky_video_job"]
    run(p, media, recorder=recorder)  # the next attempt, with the progress the engine kept
    assert len(p.requests("video_upload")) == 1, "the retry polled the saved job"
    assert len(p.posts()) == 1 and recorder.parts[0].provider_post_id


def test_a_video_processed_before_reuses_its_blob(platforms, stored):
    p = platforms("bluesky")
    item = clip(stored)
    run(p, [item], text="First", key="first")
    run(p, [item], text="Again", key="again")
    first, again = p.posts()
    duplicate = [j for j in jobs(p) if j.get("duplicate")]
    assert duplicate and duplicate[0]["error"] == "already_exists"
    assert again["embed"]["video"] == first["embed"]["video"]
