"""Threads media containers: one image or video, or a carousel of 2–20 items whose containers
are kept for a retry and are all FINISHED before the carousel container is made."""

from __future__ import annotations

from typing import Protocol

from app.platforms.base import Part, PublishJob
from app.platforms.media_io import is_video, rendition_url
from app.platforms.polling import Poller
from app.platforms.social import progress, remember_at


class ThreadsPublisher(Protocol):
    """What the media containers use of the Threads publisher."""

    def _call(self, job: PublishJob, method: str, path: str, *, versioned: bool = True,
              **params) -> dict: ...

    def _status(self, job: PublishJob, container: str) -> str: ...


def _item(pub: ThreadsPublisher, job: PublishJob, item: dict, **params) -> str:
    uid = job.settings["account_id"]
    if is_video(item):
        return pub._call(job, "POST", f"/{uid}/threads", media_type="VIDEO",
                         video_url=rendition_url(item, "threads"), **params)["id"]
    if item.get("alt_text"):
        params["alt_text"] = item["alt_text"]
    return pub._call(job, "POST", f"/{uid}/threads", media_type="IMAGE",
                     image_url=rendition_url(item, "threads"), **params)["id"]


def _finished(pub: ThreadsPublisher, job: PublishJob, container: str) -> bool | None:
    return True if pub._status(job, container) != "IN_PROGRESS" else None


def container(pub: ThreadsPublisher, job: PublishJob, index: int, part: Part, base: dict) -> str:
    """The container of a part with media (`base` carries reply_to_id for a reply)."""
    if len(part.media) == 1:
        return _item(pub, job, part.media[0], text=part.text, **base)
    poller = getattr(pub, "poller", None) or Poller()
    children = list(progress(job, index).get("children") or [])
    for i, item in enumerate(part.media):
        if i < len(children) and pub._status(job, children[i]) in ("FINISHED", "IN_PROGRESS"):
            continue
        children[i:i + 1] = [_item(pub, job, item, is_carousel_item="true")]
        remember_at(job, index, children=children)
    for child in children:
        poller.until(lambda c=child: _finished(pub, job, c), "threads: a carousel item")
    return pub._call(job, "POST", f"/{job.settings['account_id']}/threads", media_type="CAROUSEL",
                     text=part.text, children=",".join(children), **base)["id"]
