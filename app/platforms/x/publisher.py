"""X (API v2): posts and reply chains, image upload, rotating OAuth 2 refresh tokens."""

from __future__ import annotations

import time

import httpx

from app import config
from app.platforms import images
from app.platforms.base import THREAD_OPTIONS, Part, PartResult, PublishJob, PublishResult
from app.platforms.common import ThreadPublisher, plan_parts
from app.platforms.errors import (
    AuthRevoked,
    InvalidContent,
    NetworkError,
    OutcomeUnknown,
)
from app.platforms.http import check, lifetime
from app.platforms.media_io import is_video
from app.platforms.polling import Poller
from app.platforms.x import rules
from app.platforms.x import video as x_video
from app.platforms.x.api import (
    api_url,
    message_of,
)

# Refresh a little before the expiry X gave, so a slow request does not cross it.
REFRESH_MARGIN = 120


def refresh(client: httpx.Client, job: PublishJob) -> None:
    """Trade the refresh token for a new pair, saved before anything uses it: X refresh tokens
    are single-use, so a pair that is not saved at once is lost for good."""
    job.refresh_with(lambda creds: _exchange(client, creds, job.post_id))


def _exchange(client: httpx.Client, creds: dict, post_id: str) -> dict:
    from app.platforms.http import send

    if not creds.get("refresh_token"):
        raise AuthRevoked("x: the access token expired and there is no refresh token; reconnect")
    app_ = config.settings().platform("x")
    secret = app_.client_secret
    response = send(client, "POST", f"{api_url()}/2/oauth2/token", platform="x",
                    post_id=post_id,
                    data={"grant_type": "refresh_token", "refresh_token": creds["refresh_token"],
                          "client_id": app_.client_id},
                    auth=(app_.client_id, secret) if secret else None)
    if response.status_code in (400, 401):
        raise AuthRevoked(f"x: the refresh token was refused ({message_of(response)}); reconnect",
                          status=response.status_code, body=response.text[:2000])
    body = check(response, "x", message_of).json()
    return {**creds, "access_token": body["access_token"],
            "refresh_token": body.get("refresh_token", creds["refresh_token"]),
            "expires_at": int(time.time()) + lifetime(body.get("expires_in"), 7200)}


class XPublisher(ThreadPublisher):
    platform = "x"
    name = "X"
    options = THREAD_OPTIONS
    image_limits = images.limits_of(rules.IMAGE, max_alt=1000)
    poller = Poller()
    # Access tokens last 2 h: the sweep refreshes them in their last 15 minutes.
    refresh_window = 15 * 60

    def extra_checks(self, parts, settings, options) -> list[str]:
        for i, part in enumerate(parts, 1):
            gifs = [m for m in part.media if m.get("content_type") == "image/gif"]
            if gifs and len(part.media) > 1:
                from app.errors import ValidationFailed

                raise ValidationFailed(f"part {i}: X takes one GIF alone, or up to 4 photos",
                                       field="media_ids")
        return []

    def refresh_token(self, job: PublishJob) -> None:
        refresh(self.client, job)

    def _authed(self, job: PublishJob, method: str, url: str, **kw) -> httpx.Response:
        """One request with the user token; an expired token is refreshed and tried once more."""
        expires = job.credentials.get("expires_at")
        if expires and float(expires) < time.time() + REFRESH_MARGIN:
            refresh(self.client, job)
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {job.credentials['access_token']}"}
            response = self.send(job, method, url, headers=headers, **kw)
            if response.status_code == 401 and attempt == 1 \
                    and job.credentials.get("refresh_token"):
                refresh(self.client, job)
                continue
            return response
        return response

    def _upload(self, job: PublishJob, index: int, item: dict) -> str:
        if is_video(item):
            return x_video.upload(self, job, index, item)
        prepared = self.load_media(item, job.settings)
        if prepared.content_type == "image/gif":
            # https://docs.x.com/x-api/media (Creation): the chunked upload takes images, GIFs
            # and video, the simple upload images only.
            media_id = x_video.upload(self, job, index, item, (prepared.data, "image/gif"),
                                      "tweet_gif")
        else:
            response = self._authed(job, "POST", f"{api_url()}/2/media/upload",
                                    files={"media": ("media", prepared.data,
                                                     prepared.content_type)},
                                    data={"media_category": "tweet_image"})
            media_id = check(response, "x", message_of).json()["data"]["id"]
        if item.get("alt_text"):
            meta = self._authed(job, "POST", f"{api_url()}/2/media/metadata",
                                json={"id": media_id,
                                      "metadata": {"alt_text": {"text": item["alt_text"]}}})
            check(meta, "x", message_of)
        return media_id

    def _post_part(self, job: PublishJob, index: int, part: Part,
                   previous: PartResult | None) -> PartResult:
        body: dict = {"text": part.text}
        if part.media:
            body["media"] = {"media_ids": [self._upload(job, index, m) for m in part.media]}
        if previous:
            body["reply"] = {"in_reply_to_tweet_id": previous.provider_post_id}
        try:
            response = self._authed(job, "POST", f"{api_url()}/2/tweets", json=body)
        except NetworkError as exc:
            if exc.sent:
                # X has no idempotency: a post whose answer was lost may exist.
                raise OutcomeUnknown(f"x: part {index + 1} was sent but no answer came back "
                                     f"({exc.message}); check the account before retrying") from exc
            raise
        if response.status_code == 403 and "duplicate" in message_of(response).lower():
            error = OutcomeUnknown if job.attempt > 1 else InvalidContent
            raise error(f"x: {message_of(response)}", status=403, body=response.text[:2000])
        if response.status_code == 400:
            raise InvalidContent(f"x: {message_of(response)}", status=400,
                                 body=response.text[:2000])
        tweet_id = check(response, "x", message_of).json()["data"]["id"]
        username = (job.handle or "i").lstrip("@")
        return PartResult(index=index, provider_post_id=tweet_id,
                          live_url=f"https://x.com/{username}/status/{tweet_id}")

    def publish(self, job: PublishJob) -> PublishResult:
        return self.run_thread(job, lambda i, part, prev, _root: self._post_part(job, i, part, prev))

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        """X cannot be searched for our own post without risk: settled only when every part is
        already recorded."""
        planned = plan_parts(self.platform, job.settings, job.parts, job.options)
        done = {r.index: r for r in job.done if r.provider_post_id}
        if len(done) >= len(planned):
            return self.result(list(done.values()))
        raise OutcomeUnknown(f"x: {len(planned) - len(done)} part(s) may or may not have been "
                             "published; check the account, then retry or cancel")


PUBLISHER = XPublisher
