"""X video and GIFs: chunked upload (initialize, append segments, finalize) and STATUS polling until the
video is processed; each step saved so a new attempt continues the same upload."""

from __future__ import annotations

from typing import Protocol

import httpx

from app.platforms.base import PublishJob
from app.platforms.errors import MediaRejected, PlatformRejected
from app.platforms.http import check, plain_text
from app.platforms.media_io import chunks, rendition
from app.platforms.polling import Poller
from app.platforms.social import progress, remember_at
from app.platforms.x.api import api_url, message_of


class XPublisher(Protocol):
    """What the upload uses of the X publisher."""

    poller: Poller

    def _authed(self, job: PublishJob, method: str, url: str, **kw) -> httpx.Response: ...

CHUNK = 4 * 1024 * 1024
MAX_SEGMENTS = 1000


def upload(pub: XPublisher, job: PublishJob, index: int, item: dict,
           media: tuple[bytes, str] | None = None, category: str = "tweet_video") -> str:
    """The media id of the part's video (or of the GIF given as `media`), processed and ready
    to attach."""
    data, content_type = media or rendition(item, "x")
    saved = progress(job, index)
    if saved.get("x_media") and not saved.get("x_finalized"):
        try:
            _append(pub, job, index, data)
        except PlatformRejected:
            saved = remember_at(job, index, x_media=None, x_segments=0)  # the session expired
    if not saved.get("x_media"):
        response = pub._authed(job, "POST", f"{api_url()}/2/media/upload/initialize",
                               json={"media_type": content_type, "total_bytes": len(data),
                                     "media_category": category})
        media_id = check(response, "x", message_of).json()["data"]["id"]
        remember_at(job, index, x_media=media_id, x_segments=0, x_finalized=False)
        _append(pub, job, index, data)
    media_id = progress(job, index)["x_media"]
    if not progress(job, index).get("x_finalized"):
        response = pub._authed(job, "POST", f"{api_url()}/2/media/upload/{media_id}/finalize")
        check(response, "x", message_of)
        remember_at(job, index, x_finalized=True)
    _wait(pub, job, media_id)
    return media_id


def _append(pub: XPublisher, job: PublishJob, index: int, data: bytes) -> None:
    saved = progress(job, index)
    size = max(getattr(pub, "video_chunk", CHUNK), -(-len(data) // MAX_SEGMENTS))
    for segment, (first, last) in enumerate(chunks(len(data), size)):
        if segment < int(saved.get("x_segments") or 0):
            continue
        response = pub._authed(job, "POST", f"{api_url()}/2/media/upload/{saved['x_media']}/append",
                               files={"media": ("chunk", data[first:last + 1],
                                                "application/octet-stream")},
                               data={"segment_index": str(segment)})
        check(response, "x", message_of)
        remember_at(job, index, x_segments=segment + 1)


def _wait(pub: XPublisher, job: PublishJob, media_id: str) -> None:
    hint: list[float | None] = [None]

    def ready() -> bool | None:
        response = pub._authed(job, "GET", f"{api_url()}/2/media/upload",
                               params={"media_id": media_id, "command": "STATUS"})
        info = check(response, "x", message_of).json()["data"].get("processing_info") or {}
        if info.get("state") == "failed":
            error = info.get("error") or {}
            raise MediaRejected(f"x: the video could not be processed "
                                f"({plain_text(error.get('message') or error.get('name') or 'failed')})")
        hint[0] = info.get("check_after_secs")
        return True if info.get("state", "succeeded") == "succeeded" else None

    pub.poller.until(ready, "x: the video", hint=lambda: hint[0])
