"""Facebook Pages: text and link posts, multi-photo posts (unpublished photos attached to one feed
post) and videos uploaded in chunks (upload_phase); all with the Page token, which does not
expire."""

from __future__ import annotations

import json
import time
from datetime import datetime

from app.config import platform_api_url
from app.platforms import graph
from app.platforms.base import PublishJob, PublishResult
from app.platforms.errors import (
    InvalidContent,
    MediaRejected,
    NetworkError,
    OutcomeUnknown,
    PublishError,
)
from app.platforms.media_io import is_video, rendition
from app.platforms.social import SocialPublisher, finished, progress, remember

# How far before the first create's start a post found in the feed may be dated (clock skew).
SKEW = 300
# A transfer from the wrong offset: the answer names the chunk to send (_offsets_asked).
RESUME_AT = 1363037


def api_url() -> str:
    return platform_api_url("facebook", "https://graph.facebook.com")


def video_url() -> str:
    """Video posts go to graph-video; an overridden API URL (sandbox) serves both."""
    return platform_api_url("facebook", "https://graph-video.facebook.com")


def _made_here(job: PublishJob, post: dict, page: str, since: int) -> bool:
    """Whether a post of the Page's feed is the one this job's create made. The feed also
    holds visitors' posts and public posts tagging the Page ("Page Feed",
    https://developers.facebook.com/docs/graph-api/reference/page/feed/), so the author
    (`from`, https://developers.facebook.com/docs/graph-api/reference/post/ "Fields") must be
    the Page; the text must be this post's; it must be created since the first create (not
    only updated: an old post edited now is no match); and no other OpenPost post may hold it
    already (two posts of the same text)."""
    return ((post.get("from") or {}).get("id") == page
            and (post.get("message") or "") == job.parts[0].text
            and _epoch(post.get("created_time")) >= since
            and not job.holds_elsewhere(str(post.get("id"))))


def _epoch(created_time: str | None) -> float:
    """Graph's "2026-12-04T21:00:00+0000" as unix time; 0 when absent or unreadable."""
    try:
        return datetime.strptime(created_time or "", "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        return 0


def _offsets_asked(exc: PublishError, sent: int) -> dict:
    """The chunk Meta asks for after one sent from the wrong offset (a retry after an answer that
    was lost): error_subcode 1363037 with error_data {start_offset, end_offset}, "parse the
    start_offset and end_offset [...] and do a retry again" (Video API "Error Codes", Upload
    Phase: https://developers.facebook.com/docs/video-api/reference/error-codes/). Any other
    error, or the offset just sent, is raised."""
    try:
        error = json.loads(exc.body or "")["error"]
        data = error.get("error_data") or {}
        data = json.loads(data) if isinstance(data, str) else data
        asked = {"start_offset": int(data["start_offset"]), "end_offset": int(data["end_offset"])}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise exc from None
    if error.get("error_subcode") != RESUME_AT or asked["start_offset"] == sent:
        raise exc
    return asked


class FacebookPublisher(SocialPublisher):
    platform = "facebook"
    name = "Facebook"
    options = {"link": {"type": "url"}, "title": {"type": "text"}}

    def _call(self, job: PublishJob, method: str, path: str, base: str | None = None,
              **params) -> dict:
        return graph.call(self.client, job, "facebook", method,
                          f"{base or api_url()}/{graph.VERSION}{path}",
                          token=job.credentials["access_token"], **params)

    @staticmethod
    def page(job: PublishJob) -> str:
        return job.settings.get("page_id") or job.settings["account_id"]

    def _photos(self, job: PublishJob) -> list[str]:
        """Each photo uploaded unpublished, its id kept at once: a retry does not upload it again."""
        photos = list(progress(job).get("photos") or [])
        for item in job.parts[0].media[len(photos):]:
            data, content_type = rendition(item, "facebook")
            alt = {"alt_text_custom": item["alt_text"]} if item.get("alt_text") else {}
            photo = self._call(job, "POST", f"/{self.page(job)}/photos", published="false",
                               files={"source": ("photo", data, content_type)}, **alt)
            photos.append(photo["id"])
            remember(job, photos=photos)
        return photos

    def _post(self, job: PublishJob, path: str, base: str | None = None, **params) -> dict:
        if not progress(job).get("posting_at"):
            remember(job, posting_at=int(time.time()))
        remember(job, posting=True)
        try:
            return self._call(job, "POST", path, base=base, **params)
        except NetworkError as exc:
            if exc.sent:
                raise OutcomeUnknown(f"facebook: the post was sent but no answer came back "
                                     f"({exc.message}); check the page before retrying") from exc
            raise

    def _feed(self, job: PublishJob) -> PublishResult:
        params: dict = {"message": job.parts[0].text}
        photos = self._photos(job)
        if photos:
            params["attached_media"] = json.dumps([{"media_fbid": p} for p in photos])
        if job.options.get("link"):
            params["link"] = job.options["link"]
        post_id = self._sent(job) or self._post(job, f"/{self.page(job)}/feed", **params)["id"]
        return self._published(job, post_id)

    def _published(self, job: PublishJob, post_id: str) -> PublishResult:
        link = self._call(job, "GET", f"/{post_id}", fields="permalink_url").get("permalink_url")
        return self.result(job, post_id, link)

    def _sent(self, job: PublishJob) -> str | None:
        """The feed post an earlier attempt's create made, if the Page's feed shows it.

        /feed has no idempotency: a create answered 5xx (or not at all) may have posted, and a
        blind retry would post twice. So after any create was sent, read the Page's recent posts
        (GET /{page-id}/feed, https://developers.facebook.com/docs/graph-api/reference/page/feed/
        "Reading"; `since`: https://developers.facebook.com/docs/graph-api/results "Time-based
        Pagination") for the one that create made (see `_made_here`)."""
        saved = progress(job)
        if not saved.get("posting"):
            return None
        page, since = self.page(job), int(saved.get("posting_at") or 0) - SKEW
        feed = self._call(job, "GET", f"/{page}/feed", fields="id,message,created_time,from",
                          since=since, limit=25)
        return next((p["id"] for p in feed.get("data") or []
                     if _made_here(job, p, page, since)), None)

    def _phase(self, job: PublishJob, phase: str, **params) -> dict:
        return self._call(job, "POST", f"/{self.page(job)}/videos", base=video_url(),
                          upload_phase=phase, **params)

    def _session(self, job: PublishJob, size: int) -> dict:
        """The upload session this post started (kept, so a retry resumes it), or a new one."""
        saved = progress(job)
        if saved.get("upload_session_id"):
            return saved
        body = self._phase(job, "start", file_size=size)
        remember(job, upload_session_id=body["upload_session_id"], video_id=body["video_id"],
                 start_offset=body["start_offset"], end_offset=body["end_offset"])
        return progress(job)

    def _transfer(self, job: PublishJob, data: bytes) -> dict:
        """The upload resumed where the last attempt stopped (from the offsets Meta names when
        a chunk had arrived but its answer was not kept); when Meta refuses the session itself,
        the video is uploaded again in a new session."""
        resumed = bool(progress(job).get("upload_session_id"))
        try:
            return self._chunks(job, data)
        except InvalidContent:
            if not resumed:
                raise
            remember(job, upload_session_id=None)
            return self._chunks(job, data)

    def _chunks(self, job: PublishJob, data: bytes) -> dict:
        """Send each chunk Meta asks for (start_offset to end_offset) until they meet; the
        offsets are kept after every chunk, so a retry sends only what is missing."""
        saved = self._session(job, len(data))
        start, end = int(saved["start_offset"]), int(saved["end_offset"])
        while start < end:
            try:
                body = self._phase(job, "transfer", upload_session_id=saved["upload_session_id"],
                                   start_offset=start,
                                   files={"video_file_chunk": ("chunk", data[start:end],
                                                               "application/octet-stream")})
            except PublishError as exc:
                body = _offsets_asked(exc, start)
            start, end = int(body["start_offset"]), int(body["end_offset"])
            remember(job, start_offset=start, end_offset=end)
        return progress(job)

    def _video(self, job: PublishJob) -> PublishResult:
        """A Page video uploaded in chunks with the Page token, which does not expire
        ("Resumable Uploading": upload_phase start, transfer, finish on graph-video,
        https://developers.facebook.com/docs/graph-api/video-uploads; "Publishing on Pages"
        needs the Page access token: https://developers.facebook.com/docs/video-api/guides/
        publishing). The user token of the sign-in is not used, so its 60-day expiry neither
        stops videos nor disconnects the Page."""
        part = job.parts[0]
        data, _content_type = rendition(part.media[0], "facebook")
        saved = self._transfer(job, data)
        body = self._post(job, f"/{self.page(job)}/videos", base=video_url(),
                          upload_phase="finish", upload_session_id=saved["upload_session_id"],
                          title=job.options.get("title") or "", description=part.text)
        if not body.get("success"):
            raise MediaRejected("facebook: the video was not accepted")
        video_id = saved["video_id"]
        return self.result(job, video_id, f"https://www.facebook.com/{self.page(job)}/videos/{video_id}")

    def publish_new(self, job: PublishJob) -> PublishResult:
        media = job.parts[0].media
        return self._video(job) if media and is_video(media[0]) else self._feed(job)

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        """Settled when the post call was never made (nothing was posted) or when the Page's
        feed shows the post; otherwise the outcome is unknown."""
        done = finished(job)
        if done:
            return done
        if not progress(job).get("posting"):
            return None
        media = job.parts[0].media
        found = None if media and is_video(media[0]) else self._sent(job)
        if found:
            return self._published(job, found)
        raise OutcomeUnknown("facebook: the post may or may not have been published; check the "
                             "page, then retry or cancel")


PUBLISHER = FacebookPublisher
