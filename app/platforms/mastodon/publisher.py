"""Mastodon (any instance): statuses with Idempotency-Key, reply chains, media processing."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import httpx

from app.platforms import images
from app.platforms.base import THREAD_OPTIONS, Part, PartResult, PublishJob, PublishResult
from app.platforms.common import ThreadPublisher, plan_parts
from app.platforms.errors import InvalidContent, MediaRejected, OutcomeUnknown
from app.platforms.http import check, json_or_empty, platform_message
from app.platforms.media_io import is_video
from app.platforms.polling import Poller

VISIBILITIES = ("public", "unlisted", "private", "direct")
TAG = re.compile(r"<[^>]+>")
# Mastodon keeps an Idempotency-Key for 1 hour from the status it made ("Idempotency keys are
# stored for up to 1 hour": https://docs.joinmastodon.org/methods/statuses/#create); a repeat
# within it returns that status. Re-sending is trusted only this long after the schedule time
# (no status of the post is older), 5 minutes short of the hour for clock skew.
KEY_LIFE = 55 * 60
# Doorkeeper's answer to a token without the scope an endpoint needs (403).
OUTSIDE_SCOPES = "outside the authorized scopes"


def message_of(response: httpx.Response) -> str:
    body = json_or_empty(response)
    return platform_message(response, body.get("error"), body.get("error_description"))


def plain(content: str) -> str:
    """A status's HTML content as the text that was posted (for reconciling)."""
    content = re.sub(r"<br\s*/?>|</p><p>", "\n", content)
    return " ".join(html.unescape(TAG.sub("", content)).split())


def video_problem(item: dict, settings: dict) -> str | None:
    """What the channel's instance refuses about a video, from the limits it announced in GET
    /api/v2/instance (configuration.media_attachments: supported_mime_types, video_size_limit,
    https://docs.joinmastodon.org/entities/Instance/#media_attachments), kept at connect."""
    types = settings.get("supported_mime_types")
    if types and item.get("content_type") not in types:
        return f"this Mastodon instance does not take {item.get('content_type')} videos"
    limit = settings.get("video_size_limit")
    if limit and (item.get("size_bytes") or 0) > int(limit):
        return (f"the video is {item['size_bytes'] / 1048576:.1f} MB; this Mastodon instance "
                f"takes videos up to {int(limit) / 1048576:.1f} MB")
    return None


class MastodonPublisher(ThreadPublisher):
    platform = "mastodon"
    name = "Mastodon"
    options = {**THREAD_OPTIONS,
               "visibility": {"type": "choice", "choices": list(VISIBILITIES), "default": "public"},
               "spoiler_text": {"type": "text"}, "sensitive": {"type": "boolean"},
               "language": {"type": "text"}}
    # Waiting for an upload that answered 202 (video always, large images sometimes).
    poller = Poller()

    def image_limits_for(self, settings: dict) -> images.ImageLimits:
        types = settings.get("supported_mime_types") or ["image/jpeg", "image/png", "image/gif",
                                                         "image/webp"]
        formats = tuple(name for name, mime in images.MIME.items() if mime in types)
        return images.ImageLimits(int(settings.get("max_media_attachments") or 4),
                                  int(settings.get("image_size_limit") or 16 * 1024 * 1024),
                                  formats or ("JPEG", "PNG"), 1500)

    def extra_checks(self, parts, settings, options) -> list[str]:
        from app.errors import ValidationFailed

        if options.get("visibility") and options["visibility"] not in VISIBILITIES:
            raise ValidationFailed(f"visibility must be one of {', '.join(VISIBILITIES)}",
                                   field="options.visibility")
        for i, part in enumerate(parts, 1):
            where = f"part {i}" if len(parts) > 1 else "the post"
            for item in filter(is_video, part.media):
                if problem := video_problem(item, settings):
                    raise ValidationFailed(f"{where}: {problem}", field="media_ids")
        return []

    @staticmethod
    def base(job: PublishJob) -> str:
        return job.settings["instance_url"].rstrip("/")

    def _request(self, job: PublishJob, method: str, path: str, **kw) -> httpx.Response:
        headers = {**kw.pop("headers", {}), "Authorization": f"Bearer {job.credentials['access_token']}"}
        return self.send(job, method, f"{self.base(job)}{path}", headers=headers, **kw)

    def _upload(self, job: PublishJob, item: dict, wait: bool = True) -> str:
        """POST /api/v2/media; a 202 (video always: "Larger media formats (video, gifv, audio)
        will continue to be processed asynchronously and return 202",
        https://docs.joinmastodon.org/methods/media/#v2) is polled with GET /api/v1/media/:id
        until it answers 200 instead of 206 (https://docs.joinmastodon.org/methods/media/#get),
        since a status naming an attachment still processing is refused with 422."""
        if is_video(item):
            from app.media.service import read_bytes

            kind, data, content_type = "video", read_bytes(item), item["content_type"]
        else:
            prepared = self.load_media(item, job.settings)
            kind, data, content_type = "image", prepared.data, prepared.content_type
        response = self._request(job, "POST", "/api/v2/media",
                                 files={"file": (kind, data, content_type)},
                                 data={"description": item.get("alt_text") or ""})
        if response.status_code == 422:
            raise MediaRejected(f"mastodon: {message_of(response)}", status=422)
        media_id = str(check(response, "mastodon", message_of).json()["id"])
        if response.status_code == 202 and wait:
            self.poller.until(lambda: self._processed(job, media_id), f"mastodon: the {kind}")
        return media_id

    def _video(self, job: PublishJob, index: int, item: dict) -> str:
        """The part's one video: an upload saved by an earlier attempt (still processing when
        it ran out of time) is polled again rather than sent again."""
        saved = next((r.extra.get("video_media_id") for r in job.done
                      if r.index == index and not r.provider_post_id), None)
        if saved:
            response = self._request(job, "GET", f"/api/v1/media/{saved}")
            if response.status_code in (200, 206):
                if response.status_code == 206:
                    self.poller.until(lambda: self._processed(job, saved), "mastodon: the video")
                return str(saved)
        media_id = self._upload(job, item, wait=False)
        job.save_part(PartResult(index=index, provider_post_id="",
                                 extra={"video_media_id": media_id}))
        self.poller.until(lambda: self._processed(job, media_id), "mastodon: the video")
        return media_id

    def _processed(self, job: PublishJob, media_id: str) -> bool | None:
        response = self._request(job, "GET", f"/api/v1/media/{media_id}")
        if response.status_code == 422:  # "There was an error processing the media attachment"
            raise MediaRejected(f"mastodon: {message_of(response)}", status=422)
        check(response, "mastodon", message_of, ok=(200, 206))
        return True if response.status_code == 200 else None

    def _post_part(self, job: PublishJob, index: int, part: Part,
                   previous: PartResult | None) -> PartResult:
        body: dict = {"status": part.text, "visibility": job.options.get("visibility", "public")}
        for name in ("spoiler_text", "language", "sensitive"):
            if job.options.get(name) not in (None, ""):
                body[name] = job.options[name]
        if part.media and any(is_video(item) for item in part.media):
            body["media_ids"] = [self._video(job, index, part.media[0])]
        elif part.media:
            body["media_ids"] = [self._upload(job, item) for item in part.media]
        if previous:
            body["in_reply_to_id"] = previous.provider_post_id
        # The same key on a retry returns the status already created instead of a second one.
        response = self._request(job, "POST", "/api/v1/statuses", json=body,
                                 headers={"Idempotency-Key": f"{job.idempotency_key}-{index}"})
        if response.status_code == 422:
            raise InvalidContent(f"mastodon: {message_of(response)}", status=422,
                                 body=response.text[:2000])
        status = check(response, "mastodon", message_of).json()
        return PartResult(index=index, provider_post_id=str(status["id"]),
                          live_url=status.get("url") or status.get("uri"))

    def publish(self, job: PublishJob) -> PublishResult:
        return self.run_thread(job, lambda i, part, prev, _root: self._post_part(job, i, part, prev))

    def _recent(self, job: PublishJob) -> list[dict] | None:
        """The account's latest statuses; None when the token may not read them (granted before
        OpenPost asked for read:statuses: https://docs.joinmastodon.org/methods/accounts/#statuses
        needs it)."""
        account = job.settings.get("account_id")
        if not account:
            response = self._request(job, "GET", "/api/v1/accounts/verify_credentials")
            account = check(response, "mastodon", message_of).json()["id"]
        response = self._request(job, "GET", f"/api/v1/accounts/{account}/statuses",
                                 params={"limit": 40, "exclude_reblogs": "true"})
        if response.status_code == 403 and OUTSIDE_SCOPES in message_of(response):
            return None
        return check(response, "mastodon", message_of).json()

    @staticmethod
    def _resend_is_safe(job: PublishJob) -> None:
        """Without a look-up, only the Idempotency-Key can settle a lost attempt: safe while
        Mastodon still holds the keys of every status the post may have made."""
        if job.schedule_at is None \
                or (datetime.now(UTC) - job.schedule_at).total_seconds() > KEY_LIFE:
            raise OutcomeUnknown("mastodon: the post may already be published, and this connection "
                                 "may not read the account's statuses to check; look at the "
                                 "account before retrying, and reconnect the channel so OpenPost "
                                 "can check next time")

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        """Find the missing parts among the account's latest statuses (same text, replying to the
        part before). Not found means not posted; a later publish reuses the same
        Idempotency-Key, which covers a status this look-up missed within the hour. A token that
        may not read statuses settles by that re-send alone, within the hour; later it cannot
        tell (OutcomeUnknown)."""
        planned = plan_parts(self.platform, job.settings, job.parts, job.options)
        done = {r.index: r for r in job.done if r.provider_post_id}
        recent = self._recent(job)
        if recent is None:
            self._resend_is_safe(job)
            return None  # publishing again re-sends each part with its own Idempotency-Key
        for index, part in enumerate(planned):
            if index in done:
                continue
            parent = done[index - 1].provider_post_id if index else None
            match = next((s for s in recent if plain(s.get("content", "")) == " ".join(part.text.split())
                          and (s.get("in_reply_to_id") == parent)), None)
            if match is None:
                return None
            found = PartResult(index=index, provider_post_id=str(match["id"]),
                               live_url=match.get("url") or match.get("uri"))
            job.save_part(found)
            job.done.append(found)
            done[index] = found
        return self.result(list(done.values()))


PUBLISHER = MastodonPublisher
