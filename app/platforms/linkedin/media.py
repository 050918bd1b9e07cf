"""LinkedIn media uploads: images (initializeUpload + PUT) and videos (multipart PUTs with
ETags, finalizeUpload, status polling until AVAILABLE), every step saved for resuming."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import quote

import httpx

from app.platforms.base import PublishJob
from app.platforms.errors import MediaRejected
from app.platforms.linkedin.api import author_urn
from app.platforms.media_io import rendition
from app.platforms.polling import Poller
from app.platforms.social import progress, remember


class LinkedInPublisher(Protocol):
    """What the uploads use of the LinkedIn publisher."""

    poller: Poller

    def call(self, job: PublishJob, method: str, path: str, ok=(200, 201), **kw) -> httpx.Response: ...

    def put(self, job: PublishJob, url: str, data: bytes, content_type: str) -> str: ...


def upload_images(pub: LinkedInPublisher, job: PublishJob, media: list[dict]) -> list[str]:
    """Image URNs, one per item; images uploaded by an earlier attempt are not sent again."""
    urns = list(progress(job).get("images") or [])
    owner = author_urn(job.settings)
    for item in media[len(urns):]:
        data, content_type = rendition(item, "linkedin")
        init = pub.call(job, "POST", "/rest/images?action=initializeUpload",
                        json={"initializeUploadRequest": {"owner": owner}}).json()["value"]
        pub.put(job, init["uploadUrl"], data, content_type)
        urns.append(init["image"])
        remember(job, images=urns)
    return urns


def _initialize(pub: LinkedInPublisher, job: PublishJob, size: int) -> dict:
    body = {"initializeUploadRequest": {"owner": author_urn(job.settings), "fileSizeBytes": size,
                                        "uploadCaptions": False, "uploadThumbnail": False}}
    value = pub.call(job, "POST", "/rest/videos?action=initializeUpload", json=body).json()["value"]
    return remember(job, video=value["video"], upload_token=value.get("uploadToken", ""),
                    instructions=[[i["uploadUrl"], i["firstByte"], i["lastByte"]]
                                  for i in value["uploadInstructions"]], etags=[])


def upload_video(pub: LinkedInPublisher, job: PublishJob, item: dict) -> str:
    """The video URN once LinkedIn reports it AVAILABLE."""
    data, content_type = rendition(item, "linkedin")
    saved = progress(job)
    if not saved.get("video"):
        saved = _initialize(pub, job, len(data))
    urn, etags = saved["video"], list(saved.get("etags") or [])
    if not saved.get("finalized"):
        for url, first, last in saved["instructions"][len(etags):]:
            etags.append(pub.put(job, url, data[first:last + 1], "application/octet-stream"))
            remember(job, etags=etags)
        pub.call(job, "POST", "/rest/videos?action=finalizeUpload",
                 json={"finalizeUploadRequest": {"video": urn, "uploadToken": saved["upload_token"],
                                                 "uploadedPartIds": etags}})
        remember(job, finalized=True)
    pub.poller.until(lambda: _available(pub, job, urn), "linkedin: the video")
    return urn


def _available(pub: LinkedInPublisher, job: PublishJob, urn: str) -> bool | None:
    status = pub.call(job, "GET", f"/rest/videos/{quote(urn, safe='')}", ok=(200,)).json()
    if status.get("status") == "PROCESSING_FAILED":
        raise MediaRejected(f"linkedin: the video could not be processed "
                            f"({status.get('processingFailureReason') or 'PROCESSING_FAILED'})")
    return True if status.get("status") == "AVAILABLE" else None
