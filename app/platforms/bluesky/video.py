"""Bluesky video through the video service, as Bluesky documents it: service-auth tokens from
the PDS, the daily upload limits, uploadVideo, getJobStatus polled until the processed blob is
ready, then app.bsky.embed.video. The job id and the blob are saved, so a retry continues."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from app import config
from app.platforms.base import PublishJob
from app.platforms.bluesky.api import message_of
from app.platforms.errors import MediaRejected, PlatformRejected, PlatformUnavailable, RateLimited
from app.platforms.http import check, json_or_empty, plain_text
from app.platforms.media_io import rendition
from app.platforms.polling import Poller
from app.platforms.social import progress, remember_at


class BlueskyPublisher(Protocol):
    """What the video upload uses of the Bluesky publisher."""

    poller: Poller

    def send(self, job: PublishJob, method: str, url: str, **kw) -> httpx.Response: ...

    def pds(self, job_or_settings) -> str: ...

    def _did(self, job: PublishJob) -> str: ...

    def _authed(self, job: PublishJob, method: str, path: str, **kw) -> httpx.Response: ...

VIDEO_SERVICE = "https://video.bsky.app"
# Bluesky recommends 30 minutes for the upload token: the service uses it after processing.
TOKEN_SECONDS = 30 * 60
# The daily quota rolls; look again in an hour.
LIMIT_WAIT = timedelta(hours=1)


def service_url(settings: dict) -> str:
    """The channel's video service (the sandbox names its own), else the configured one."""
    return (settings.get("video_service_url") or config.settings().bluesky_video_url
            or VIDEO_SERVICE).rstrip("/")


def did_web(url: str) -> str:
    return "did:web:" + urlsplit(url).netloc.replace(":", "%3A")


def embed(pub: BlueskyPublisher, job: PublishJob, index: int, item: dict) -> dict:
    video: dict = {"$type": "app.bsky.embed.video", "video": _blob(pub, job, index, item)}
    if item.get("alt_text"):
        video["alt"] = item["alt_text"][:10_000]
    if item.get("width") and item.get("height"):
        video["aspectRatio"] = {"width": item["width"], "height": item["height"]}
    return video


def _blob(pub: BlueskyPublisher, job: PublishJob, index: int, item: dict) -> dict:
    saved = progress(job, index)
    if saved.get("bsky_video_blob"):
        return saved["bsky_video_blob"]
    status = None
    if saved.get("bsky_video_job"):
        try:
            status = _wait(pub, job, {"jobId": saved["bsky_video_job"]})
        except PlatformRejected:
            status = None  # the service no longer knows the job: upload again
    if status is None:
        data, _type = rendition(item, "bluesky")
        _check_limits(pub, job, len(data))
        started = _upload(pub, job, data, item)
        remember_at(job, index, bsky_video_job=started["jobId"])
        status = _wait(pub, job, started)
    remember_at(job, index, bsky_video_blob=status["blob"])
    return status["blob"]


def _service_token(pub: BlueskyPublisher, job: PublishJob, aud: str, lxm: str) -> str:
    response = pub._authed(job, "GET", "com.atproto.server.getServiceAuth",
                           params={"aud": aud, "lxm": lxm, "exp": int(time.time()) + TOKEN_SECONDS})
    return check(response, "bluesky", message_of, ok=(200,)).json()["token"]


def _pds_did(pub: BlueskyPublisher, job: PublishJob) -> str:
    """The account's own PDS (the session's DID document names it; an entryway such as
    bsky.social is not it): the video service uploads the processed blob there."""
    doc = json_or_empty(pub._authed(job, "GET", "com.atproto.server.getSession")).get("didDoc")
    for service in (doc or {}).get("service") or []:
        if str(service.get("id", "")).endswith("#atproto_pds") and service.get("serviceEndpoint"):
            return did_web(service["serviceEndpoint"])
    return did_web(pub.pds(job))


def _check_limits(pub: BlueskyPublisher, job: PublishJob, size: int) -> None:
    url = service_url(job.settings)
    token = _service_token(pub, job, did_web(url), "app.bsky.video.getUploadLimits")
    response = pub.send(job, "GET", f"{url}/xrpc/app.bsky.video.getUploadLimits",
                        headers={"Authorization": f"Bearer {token}"})
    limits = check(response, "bluesky", message_of, ok=(200,)).json()
    over = limits.get("remainingDailyVideos") == 0 \
        or int(limits.get("remainingDailyBytes", size)) < size
    if limits.get("canUpload", True) and not over:
        return
    message = "bluesky: " + plain_text(limits.get("message") or limits.get("error")
                                       or "video uploads refused")
    if over:
        raise RateLimited(message, retry_at=datetime.now(UTC) + LIMIT_WAIT)
    raise PlatformRejected(message)


def _upload(pub: BlueskyPublisher, job: PublishJob, data: bytes, item: dict) -> dict:
    token = _service_token(pub, job, _pds_did(pub, job), "com.atproto.repo.uploadBlob")
    response = pub.send(job, "POST", f"{service_url(job.settings)}/xrpc/app.bsky.video.uploadVideo",
                        params={"did": pub._did(job), "name": f"{item['id']}.mp4"}, content=data,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "video/mp4"})
    body = json_or_empty(response)
    # The lexicon wraps the status in `jobStatus`; the service has also answered it bare, and
    # answers 409 already_exists (with the job) for a video it processed before.
    status = body.get("jobStatus") if isinstance(body.get("jobStatus"), dict) else body
    if status.get("jobId") and (response.status_code == 200 or body.get("error") == "already_exists"):
        return status
    check(response, "bluesky", message_of, ok=(200,))
    raise PlatformUnavailable("bluesky: the video service answered without a job id")


def _wait(pub: BlueskyPublisher, job: PublishJob, started: dict) -> dict:
    """The finished job's status; a failed job fails the post with the service's message."""
    def settled(status: dict) -> dict | None:
        # A blob settles it, whatever the state: a video processed before "fails" with
        # already_exists and hands back the earlier blob.
        if status.get("blob"):
            return status
        if status.get("state") == "JOB_STATE_FAILED":
            raise MediaRejected("bluesky: the video could not be processed ("
                                f"{plain_text(status.get('error') or status.get('message') or 'failed')})")
        return None

    def poll() -> dict | None:
        response = pub.send(job, "GET", f"{service_url(job.settings)}/xrpc/app.bsky.video.getJobStatus",
                            params={"jobId": started["jobId"]})
        return settled(check(response, "bluesky", message_of, ok=(200,)).json()["jobStatus"])

    return settled(started) or pub.poller.until(poll, "bluesky: the video")
