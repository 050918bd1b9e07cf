"""Facebook Pages: text and link posts, multi-photo posts (unpublished photos attached to one feed
post) and videos through the Resumable Upload API; page tokens do not expire."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime

from app.channels import graph
from app.channels.base import PublishJob, PublishResult
from app.channels.errors import AuthRevoked, MediaRejected, NetworkError, OutcomeUnknown, PublishError
from app.channels.media_io import is_video, rendition
from app.channels.social import SocialPublisher, finished, progress, remember
from app.config import platform_api_url

# How far before the first create's start a post found in the feed may be dated (clock skew).
SKEW = 300


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


class FacebookPublisher(SocialPublisher):
    platform = "facebook"
    name = "Facebook"
    caption_limit = 63_206
    chunk_size = 4 * 1024 * 1024

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

    def _upload(self, job: PublishJob, data: bytes, content_type: str) -> str:
        try:
            return self._resumable(job, data, content_type)
        except AuthRevoked as exc:
            # Uploads need the 60-day user token, not the page token that posts text.
            raise AuthRevoked(f"{exc.message} (the sign-in used for video uploads has expired "
                              "or was revoked; reconnect the page to post videos)",
                              status=exc.status, body=exc.body) from exc

    def _resumable(self, job: PublishJob, data: bytes, content_type: str) -> str:
        """Resumable Upload API: a session, then the bytes from the offset Meta reports."""
        saved = progress(job)
        if saved.get("handle"):
            return saved["handle"]
        app_id = os.environ.get("OPENPOST_FACEBOOK_CLIENT_ID") or job.settings.get("app_id", "")
        token = job.credentials.get("user_access_token") or job.credentials["access_token"]
        session, offset = saved.get("upload_session"), 0
        if session:
            try:
                offset = int(self._oauth(job, "GET", session, token).get("file_offset", 0))
            except PublishError:
                session = None  # expired or unknown: start a new session
        if not session:
            session = graph.call(self.client, job, "facebook", "POST",
                                 f"{api_url()}/{graph.VERSION}/{app_id}/uploads", token=token,
                                 file_name="video.mp4", file_length=len(data),
                                 file_type=content_type)["id"]
            remember(job, upload_session=session)
        while True:
            body = self._oauth(job, "POST", session, token, offset=offset,
                               content=data[offset:offset + self.chunk_size])
            if body.get("h"):
                remember(job, handle=body["h"])
                return body["h"]
            offset = int(body["file_offset"])

    def _oauth(self, job: PublishJob, method: str, session: str, token: str, offset: int | None = None,
               content: bytes | None = None) -> dict:
        headers = {"Authorization": f"OAuth {token}"}
        if offset is not None:
            headers["file_offset"] = str(offset)
        response = self.send(job, method, f"{api_url()}/{graph.VERSION}/{session}",
                             headers=headers, content=content)
        if response.status_code != 200:
            raise graph.error_of(response, "facebook")
        return response.json()

    def _video(self, job: PublishJob) -> PublishResult:
        part = job.parts[0]
        data, content_type = rendition(part.media[0], "facebook")
        handle = self._upload(job, data, content_type)
        body = self._post(job, f"/{self.page(job)}/videos", base=video_url(),
                          title=job.options.get("title") or "", description=part.text,
                          fbuploader_video_file_chunk=handle)
        video_id = body.get("id")
        if not video_id:
            raise MediaRejected("facebook: the video was not accepted")
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
