"""Bluesky video: the MP4 rendition uploaded as a blob and embedded with app.bsky.embed.video."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.channels.base import PublishJob
from app.channels.http import check
from app.channels.media_io import rendition

if TYPE_CHECKING:
    from app.channels.bluesky import BlueskyPublisher


def embed(pub: BlueskyPublisher, job: PublishJob, item: dict) -> dict:
    from app.channels.bluesky import message_of

    data, content_type = rendition(item, "bluesky")
    response = pub._authed(job, "POST", "com.atproto.repo.uploadBlob", content=data,
                           headers={"Content-Type": content_type})
    blob = check(response, "bluesky", message_of).json()["blob"]
    video: dict = {"$type": "app.bsky.embed.video", "video": blob}
    if item.get("alt_text"):
        video["alt"] = item["alt_text"][:10_000]
    if item.get("width") and item.get("height"):
        video["aspectRatio"] = {"width": item["width"], "height": item["height"]}
    return video
