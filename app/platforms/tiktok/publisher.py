"""TikTok (Content Posting API): creator_info first, videos by chunked FILE_UPLOAD, photo posts
pulled from signed links, publish status polling, rotating refresh tokens saved before use."""

from __future__ import annotations

import time

import httpx

from app import config
from app.errors import ValidationFailed
from app.platforms.base import PublishJob, PublishResult
from app.platforms.errors import (
    AuthRevoked,
    InvalidContent,
    PlatformRejected,
    PlatformUnavailable,
    PublishError,
    RateLimited,
)
from app.platforms.http import json_or_empty, send
from app.platforms.media_io import is_video
from app.platforms.signin import refreshed
from app.platforms.social import SocialPublisher, finished, progress
from app.platforms.tiktok import options as tiktok_options
from app.platforms.tiktok import upload as tiktok_upload
from app.platforms.tiktok.api import (
    api_url,
    error_code,
    error_of,
)
from app.platforms.tiktok.options import inbox, longest_video

REFRESH_MARGIN = 300


def granted_scopes(tokens: dict) -> list[str]:
    """The scopes a sign-in granted (the token answer's comma-separated `scope`): the user may
    allow "any subset" of those asked (https://developers.tiktok.com/doc/scopes-overview, User
    authorization). Without video.publish nothing can be posted (creator_info and direct posts
    need it: https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info,
    "Scope"), so such a sign-in is refused, naming what to allow."""
    scopes = [s for s in str(tokens.get("scope") or "").split(",") if s]
    if "scope" in tokens and "video.publish" not in scopes:
        raise ValidationFailed("TikTok was not allowed to post for OpenPost (video.publish): "
                               "connect again and allow posting", field="code")
    return scopes


def refresh_error(response: httpx.Response) -> PublishError:
    """A refused refresh. Only `invalid_grant` ("the refresh token is invalid, expired, revoked
    ... or was issued to another client", https://developers.tiktok.com/doc/oauth-error-handling,
    "Error categories") means the channel must be reconnected; a 429 or 5xx passes and is tried
    again later, and any other refusal (OpenPost's client settings) fails without disconnecting."""
    error = error_of(response)
    status, raw = response.status_code, response.text[:2000]
    if error_code(response) == "invalid_grant":
        return AuthRevoked(f"tiktok: the refresh token was refused ({error.message}); reconnect",
                           status=status, body=raw)
    if isinstance(error, (RateLimited, PlatformUnavailable)):
        return error
    return PlatformRejected(f"tiktok: the token refresh was refused ({error.message})",
                            status=status, body=raw)


def refresh(client: httpx.Client, job: PublishJob) -> None:
    """TikTok rotates refresh tokens: the new pair is saved before anything uses it."""
    job.refresh_with(lambda creds: _exchange(client, creds, job.post_id))


def _exchange(client: httpx.Client, creds: dict, post_id: str) -> dict:
    if not creds.get("refresh_token"):
        raise AuthRevoked("tiktok: the access token expired and there is no refresh token")
    app_ = config.settings().platform("tiktok")
    response = send(client, "POST", f"{api_url()}/v2/oauth/token/", platform="tiktok",
                    post_id=post_id,
                    data={"client_key": app_.client_id, "client_secret": app_.client_secret,
                          "grant_type": "refresh_token", "refresh_token": creds["refresh_token"]})
    body = json_or_empty(response)
    if response.status_code != 200 or "access_token" not in body:
        raise refresh_error(response)
    return refreshed(creds, body, 86_400, "refresh_expires_in")


class TikTokPublisher(SocialPublisher):
    platform = "tiktok"
    name = "TikTok"
    # Access tokens last 24 hours: refreshed in their last minutes, before any call.
    refresh_window = REFRESH_MARGIN

    @classmethod
    def options_for(cls, settings: dict) -> dict:
        """TikTok's privacy levels are the ones creator_info gave last (when the channel was
        connected or the composer last showed it); publishing asks again and refuses a level
        no longer offered."""
        return tiktok_options.schema(settings)

    @classmethod
    def check_option_rules(cls, options: dict) -> None:
        tiktok_options.check_rules(options)
    needs_media = True
    chunk_size = 10 * 1024 * 1024

    def media_words(self) -> str:
        return "a video or photos"

    def extra_checks(self, part, settings, options) -> list[str]:
        longest = longest_video(settings)
        for item in part.media:
            seconds = (item.get("duration_ms") or 0) / 1000
            if longest and is_video(item) and seconds > longest:
                raise ValidationFailed(f"this TikTok account can post videos up to {longest} s; "
                                       f"this one is {seconds:.0f} s", field="media_ids")
        if inbox(options):
            scopes = settings.get("scopes")
            if scopes and "video.upload" not in scopes:  # drafts need it (Upload reference)
                raise ValidationFailed("this TikTok account did not allow drafts (video.upload): "
                                       "post it directly, or connect again and allow drafts",
                                       field="options.post_mode")
            return []  # the creator chooses who sees it when finishing the post in TikTok
        allowed = settings.get("privacy_level_options") or []
        level = options.get("privacy_level")
        if not level:
            raise ValidationFailed("choose who can see this TikTok post (options.privacy_level"
                                   + (f": one of {', '.join(allowed)})" if allowed else ")"),
                                   field="options.privacy_level")
        if allowed and level not in allowed:
            raise ValidationFailed(f"privacy_level {level} is not offered for this account; "
                                   f"choose one of {', '.join(allowed)}",
                                   field="options.privacy_level")
        return []

    def refresh_token(self, job: PublishJob) -> None:
        refresh(self.client, job)

    def api(self, job: PublishJob, path: str, body: dict | None = None) -> dict:
        """One Content Posting API call; an invalid token is refreshed and tried once more."""
        expires = job.credentials.get("expires_at")
        if expires and job.credentials.get("refresh_token") \
                and float(expires) < time.time() + REFRESH_MARGIN:
            refresh(self.client, job)
        for attempt in (1, 2):
            response = self.send(job, "POST", f"{api_url()}/v2{path}", json=body or {},
                                 headers={"Authorization": f"Bearer {job.credentials['access_token']}"})
            if response.status_code == 200 and error_code(response) in ("ok", ""):
                return response.json().get("data") or {}
            if error_code(response) == "access_token_invalid" and attempt == 1 \
                    and job.credentials.get("refresh_token"):
                refresh(self.client, job)
                continue
            raise error_of(response)
        raise AuthRevoked("tiktok: the access token was refused after a refresh")

    def creator_info(self, job: PublishJob) -> dict:
        """Asked before every post, as TikTok requires: the privacy levels and limits of now."""
        info = self.api(job, "/post/publish/creator_info/query/")
        level = job.options.get("privacy_level")
        if level not in (info.get("privacy_level_options") or []):
            raise InvalidContent(f"tiktok: privacy_level {level} is not offered for this account "
                                 f"now ({', '.join(info.get('privacy_level_options') or [])})")
        return info

    def post_info(self, job: PublishJob, info: dict, photo: bool = False) -> dict:
        """A direct post's settings; what the creator turned off stays off. (Photo posts have
        comments but no duets or stitches.)"""
        options = job.options
        names = ("comment",) if photo else ("comment", "duet", "stitch")
        return {"privacy_level": options["privacy_level"],
                **{f"disable_{name}": bool(options.get(f"disable_{name}")
                                           or info.get(f"{name}_disabled")) for name in names},
                "brand_organic_toggle": bool(options.get("brand_organic_toggle")),
                "brand_content_toggle": bool(options.get("brand_content_toggle"))}

    def publish_new(self, job: PublishJob) -> PublishResult:
        media = job.parts[0].media
        publish_id = tiktok_upload.resume(self, job)
        if publish_id is None:
            info = {} if inbox(job.options) else self.creator_info(job)
            if is_video(media[0]):
                publish_id = tiktok_upload.video(self, job, info)
            else:
                publish_id = tiktok_upload.photos(self, job, info)
        return self.settle(job, tiktok_upload.wait(self, job, publish_id))

    def settle(self, job: PublishJob, status: dict) -> PublishResult:
        ids = status.get("publicaly_available_post_id") or []
        publish_id = progress(job)["publish_id"]
        if status.get("status") == "SEND_TO_USER_INBOX":
            return self.result(job, publish_id, None, [
                f"sent to the TikTok inbox of {job.handle}: open TikTok to finish the post"])
        if not ids:
            return self.result(job, publish_id, None,
                               ["TikTok published the post privately: it has no public link"])
        kind = "photo" if not is_video(job.parts[0].media[0]) else "video"
        handle = (job.handle or "").lstrip("@")
        return self.result(job, str(ids[0]), f"https://www.tiktok.com/@{handle}/{kind}/{ids[0]}")

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        """The saved publish id's status settles it; without one, nothing was posted unless a
        photo post's init was sent and its answer lost."""
        done = finished(job)
        if done:
            return done
        return tiktok_upload.reconcile(self, job)


PUBLISHER = TikTokPublisher
