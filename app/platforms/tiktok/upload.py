"""TikTok uploads: video init and in-order chunked PUTs with Content-Range, photo posts by URL,
status polling, and resuming or restarting an interrupted upload without a second post."""

from __future__ import annotations

from typing import Protocol

import httpx

from app.platforms.base import PublishJob, PublishResult
from app.platforms.errors import (
    MediaRejected,
    NetworkError,
    OutcomeUnknown,
    PermanentError,
    PlatformUnavailable,
    PublishError,
)
from app.platforms.http import plain_text
from app.platforms.media_io import chunks, rendition, rendition_url
from app.platforms.polling import Poller
from app.platforms.social import progress, remember
from app.platforms.tiktok.api import DAILY, daily_cap, error_of
from app.platforms.tiktok.options import DIRECT, INBOX, inbox


class TikTokPublisher(Protocol):
    """What the uploads use of the TikTok publisher."""

    poller: Poller
    chunk_size: int

    def api(self, job: PublishJob, path: str, body: dict | None = None) -> dict: ...

    def post_info(self, job: PublishJob, info: dict, photo: bool = False) -> dict: ...

    def send(self, job: PublishJob, method: str, url: str, **kw) -> httpx.Response: ...

    def settle(self, job: PublishJob, status: dict) -> PublishResult: ...

DONE = ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX")


def fetch(pub: TikTokPublisher, job: PublishJob, publish_id: str) -> dict:
    return pub.api(job, "/post/publish/status/fetch/", {"publish_id": publish_id})


def _forget(job: PublishJob) -> None:
    remember(job, publish_id=None, upload_url=None, uploaded=False)


def resume(pub: TikTokPublisher, job: PublishJob) -> str | None:
    """The publish id of an earlier attempt that can still finish, else None (start over: a
    video that never fully arrived cannot have become a post)."""
    saved = progress(job)
    publish_id = saved.get("publish_id")
    if not publish_id:
        return None
    status = fetch(pub, job, publish_id)
    if status.get("status") == "FAILED":
        if _arrived(saved, status):
            raise failed(job, status)
        _forget(job)
        return None
    if not _arrived(saved, status):
        data, _ = rendition(job.parts[0].media[0], "tiktok")
        try:
            upload(pub, job, data, int(status.get("uploaded_bytes") or 0))
        except PermanentError:
            _forget(job)  # the upload link expired: a new init starts a clean upload
            return None
    return publish_id


def _arrived(saved: dict, status: dict) -> bool:
    """Whether TikTok has the whole file (a photo post pulls its own)."""
    if saved.get("uploaded"):
        return True
    size = saved.get("size")
    return bool(size) and int(status.get("uploaded_bytes") or 0) >= int(size)


def video(pub: TikTokPublisher, job: PublishJob, info: dict) -> str:
    data, _ = rendition(job.parts[0].media[0], "tiktok")
    seconds = (job.parts[0].media[0].get("duration_ms") or 0) / 1000
    longest = info.get("max_video_post_duration_sec")
    if longest and seconds > float(longest):
        raise MediaRejected(f"tiktok: this account can post videos up to {longest} s; this one "
                            f"is {seconds:.0f} s")
    size = len(data)
    # A file smaller than one chunk goes in one piece; the remainder joins the last chunk.
    chunk = min(pub.chunk_size, size)
    count = len(chunks(size, chunk))
    source = {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk,
              "total_chunk_count": count}
    if inbox(job.options):  # a draft in the creator's inbox: no post_info
        made = pub.api(job, "/post/publish/inbox/video/init/", {"source_info": source})
    else:
        made = pub.api(job, "/post/publish/video/init/", {
            "post_info": {**pub.post_info(job, info), "title": job.parts[0].text},
            "source_info": source})
    remember(job, publish_id=made["publish_id"], upload_url=made["upload_url"], chunk_size=chunk,
             size=size, uploaded=False)
    upload(pub, job, data, 0)
    return made["publish_id"]


def upload(pub: TikTokPublisher, job: PublishJob, data: bytes, received: int) -> None:
    """The chunks TikTok has not received yet (it reports the bytes it has), one at a time and
    in order."""
    saved = progress(job)
    for first, last in chunks(len(data), int(saved["chunk_size"])):
        if last < received:
            continue
        response = pub.send(job, "PUT", saved["upload_url"], content=data[first:last + 1],
                            headers={"Content-Type": "video/mp4",
                                     "Content-Range": f"bytes {first}-{last}/{len(data)}"})
        if response.status_code not in (201, 206):

            raise error_of(response)
    remember(job, uploaded=True)


def photos(pub: TikTokPublisher, job: PublishJob, info: dict) -> str:
    part = job.parts[0]
    urls = [rendition_url(item, "tiktok") for item in part.media]
    words = {"title": job.options.get("title") or "", "description": part.text}
    draft = inbox(job.options)
    body = {"media_type": "PHOTO", "post_mode": INBOX if draft else DIRECT,
            "post_info": words if draft else {**pub.post_info(job, info, photo=True), **words},
            "source_info": {"source": "PULL_FROM_URL", "photo_cover_index": 0,
                            "photo_images": urls}}
    # TikTok pulls the photos once init succeeds: a lost answer may still become a post.
    remember(job, init_sent=True)
    try:
        made = pub.api(job, "/post/publish/content/init/", body)
    except NetworkError as exc:
        if exc.sent:
            raise OutcomeUnknown(f"tiktok: the photo post was sent but no answer came back "
                                 f"({exc.message}); check the account before retrying") from exc
        raise
    except PlatformUnavailable as exc:
        # A server error answering a non-idempotent create is no proof that nothing was made,
        # and no call finds a photo post without its publish_id: never re-post blindly.
        raise OutcomeUnknown(f"tiktok: the photo post was answered with a server error "
                             f"({exc.message}); it may still be published: check the account "
                             "before retrying") from exc
    remember(job, publish_id=made["publish_id"], uploaded=True)
    return made["publish_id"]


def failed(job: PublishJob, status: dict) -> PublishError:
    """A FAILED status, which names its `fail_reason` (Get Post Status, https://developers.
    tiktok.com/doc/content-posting-api-reference-get-video-status). A reason that is one of the
    daily caps init answers with (tiktok.DAILY) posted nothing: the next attempt starts a new
    post once the cap lifts, instead of the post failing for good."""

    reason = str(status.get("fail_reason") or "FAILED")
    text = f"tiktok: the post failed ({plain_text(reason)})"
    if reason in DAILY:
        _forget(job)
        return daily_cap(text)
    return MediaRejected(text)


def _settled(pub: TikTokPublisher, job: PublishJob, publish_id: str) -> dict | None:
    status = fetch(pub, job, publish_id)
    if status.get("status") == "FAILED":
        raise failed(job, status)
    return status if status.get("status") in DONE else None


def wait(pub: TikTokPublisher, job: PublishJob, publish_id: str) -> dict:
    return pub.poller.until(lambda: _settled(pub, job, publish_id), "tiktok: the post")


def reconcile(pub: TikTokPublisher, job: PublishJob) -> PublishResult | None:
    saved = progress(job)
    publish_id = saved.get("publish_id")
    if not publish_id:
        if saved.get("init_sent"):
            raise OutcomeUnknown("tiktok: the photo post was sent but no answer came back; "
                                 "check the account, then retry or cancel")
        return None
    status = fetch(pub, job, publish_id)
    if status.get("status") == "FAILED" or not _arrived(saved, status):
        return None
    return pub.settle(job, wait(pub, job, publish_id))
