"""Instagram (Graph API, professional accounts): image, carousel and Reels containers, polled
until ready, then published; a saved container id settles a lost attempt (PUBLISHED = posted).
An account connected with Instagram Login is served by graph.instagram.com with its Instagram
user token; one connected with Facebook Login (through the Page it is linked to) by
graph.facebook.com with that Page's token, which does not expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.config import platform_api_url
from app.platforms import graph
from app.platforms.base import PublishJob, PublishResult
from app.platforms.errors import (
    MediaRejected,
    NetworkError,
    OutcomeUnknown,
    PlatformUnavailable,
    RateLimited,
)
from app.platforms.media_io import is_video, rendition_url
from app.platforms.social import SocialPublisher, finished, progress, remember

# The publishing quota is a rolling 24 hours; look again in an hour.
QUOTA_WAIT = timedelta(hours=1)


def api_url(settings: dict | None = None) -> str:
    if facebook_login(settings or {}):
        return platform_api_url("facebook", "https://graph.facebook.com")
    return platform_api_url("instagram", "https://graph.instagram.com")


def facebook_login(settings: dict) -> bool:
    return settings.get("login") == "facebook"


class InstagramPublisher(graph.LongLivedTokens, SocialPublisher):
    platform = "instagram"
    name = "Instagram"
    needs_media = True
    max_hashtags = 30
    max_mentions = 20

    def _call(self, job: PublishJob, method: str, path: str, **params) -> dict:
        return graph.call(self.client, job, "instagram", method,
                          f"{api_url(job.settings)}/{graph.VERSION}{path}",
                          token=job.credentials["access_token"], **params)

    def refresh_if_due(self, job: PublishJob) -> None:
        """Refresh an Instagram Login token when due; a Page token (Facebook Login) never is."""
        if not facebook_login(job.settings):
            graph.refresh_long_lived(job, "instagram", self._exchange)

    def _exchange(self, job: PublishJob, creds: dict) -> dict:
        body = graph.call(self.client, job, "instagram", "GET", f"{api_url()}/refresh_access_token",
                          token=creds["access_token"], grant_type="ig_refresh_token")
        return graph.long_lived(creds, body)

    def _status(self, job: PublishJob, container: str) -> str:
        body = self._call(job, "GET", f"/{container}", fields="status_code,status")
        if body.get("status_code") == "ERROR":
            raise MediaRejected(f"instagram: the media could not be prepared "
                                f"({body.get('status') or 'ERROR'})")
        return body.get("status_code", "")

    def _wait(self, job: PublishJob, container: str) -> str:
        return self.poller.until(
            lambda: (s if (s := self._status(job, container)) != "IN_PROGRESS" else None),
            "instagram: the media")

    def _item(self, job: PublishJob, item: dict, **params) -> str:
        uid = job.settings["account_id"]
        if is_video(item):
            kind = "VIDEO" if params.get("is_carousel_item") else "REELS"
            return self._call(job, "POST", f"/{uid}/media", media_type=kind,
                              video_url=rendition_url(item, "instagram"), **params)["id"]
        if item.get("alt_text"):
            params["alt_text"] = item["alt_text"]
        return self._call(job, "POST", f"/{uid}/media", image_url=rendition_url(item, "instagram"),
                          **params)["id"]

    def _children(self, job: PublishJob) -> list[str]:
        """Carousel items, kept as they are made; a retry reuses the ones still usable."""
        children = list(progress(job).get("children") or [])
        for i, item in enumerate(job.parts[0].media):
            if i < len(children) and self._status(job, children[i]) in ("FINISHED", "IN_PROGRESS"):
                continue
            child = self._item(job, item, is_carousel_item="true")
            children[i:i + 1] = [child]
            remember(job, children=children)
        for child in children:
            self._wait(job, child)
        return children

    def _container(self, job: PublishJob) -> str:
        part, uid = job.parts[0], job.settings["account_id"]
        if len(part.media) == 1:
            extra = {"share_to_feed": "true"} if is_video(part.media[0]) else {}
            return self._item(job, part.media[0], caption=part.text, **extra)
        children = self._children(job)
        return self._call(job, "POST", f"/{uid}/media", media_type="CAROUSEL",
                          children=",".join(children), caption=part.text)["id"]

    def _found(self, job: PublishJob, container: str) -> PublishResult:
        """A container that says PUBLISHED: find the post it became among the latest ones."""
        recent = self._call(job, "GET", f"/{job.settings['account_id']}/media",
                            fields="id,caption,permalink", limit=25)
        for media in recent.get("data", []):
            if (media.get("caption") or "") == job.parts[0].text:
                return self.result(job, media["id"], media.get("permalink"),
                                   container_id=container)
        raise OutcomeUnknown("instagram: the post was published but could not be found")

    def _usable(self, job: PublishJob) -> str | None:
        container = progress(job).get("container_id")
        if container and self._status(job, container) == "EXPIRED":
            return None
        return container

    def _check_quota(self, job: PublishJob) -> None:
        """Instagram allows 100 API posts a rolling day: wait instead of failing mid-way."""
        body = self._call(job, "GET", f"/{job.settings['account_id']}/content_publishing_limit",
                          fields="quota_usage,config")
        usage = (body.get("data") or [{}])[0]
        total = (usage.get("config") or {}).get("quota_total", 100)
        if usage.get("quota_usage", 0) >= total:
            raise RateLimited(f"instagram: the account has used its {total} posts for the last "
                              "24 hours", retry_at=datetime.now(UTC) + QUOTA_WAIT)

    def publish_new(self, job: PublishJob) -> PublishResult:
        self.refresh_if_due(job)
        container = self._usable(job)
        if container is None:
            self._check_quota(job)
            container = self._container(job)
            remember(job, container_id=container)
        if self._wait(job, container) == "PUBLISHED":
            return self._found(job, container)
        uid = job.settings["account_id"]
        try:
            media_id = self._call(job, "POST", f"/{uid}/media_publish", creation_id=container)["id"]
        except (NetworkError, PlatformUnavailable):
            if self._status(job, container) == "PUBLISHED":
                return self._found(job, container)
            raise
        link = self._call(job, "GET", f"/{media_id}", fields="permalink").get("permalink")
        return self.result(job, media_id, link, container_id=container)

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        """The saved container tells: PUBLISHED (find the post) or not (publishing is safe)."""
        done = finished(job)
        if done:
            return done
        container = progress(job).get("container_id")
        if not container or self._status(job, container) != "PUBLISHED":
            return None
        return self._found(job, container)


PUBLISHER = InstagramPublisher
