"""Mastodon (any instance): statuses with Idempotency-Key, reply chains, media processing."""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime

import httpx

from app.platforms import images
from app.platforms.base import THREAD_OPTIONS, Part, PartResult, PublishJob, PublishResult
from app.platforms.common import ThreadPublisher, plan_parts
from app.platforms.errors import InvalidContent, MediaRejected, OutcomeUnknown, PlatformUnavailable
from app.platforms.http import check, json_or_empty, platform_message

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


class MastodonPublisher(ThreadPublisher):
    platform = "mastodon"
    name = "Mastodon"
    options = {**THREAD_OPTIONS,
               "visibility": {"type": "choice", "choices": list(VISIBILITIES), "default": "public"},
               "spoiler_text": {"type": "text"}, "sensitive": {"type": "boolean"},
               "language": {"type": "text"}}
    # Polling a processing upload: how often and for how long before calling it a failure.
    poll_interval = 1.0
    poll_timeout = 60.0

    def image_limits_for(self, settings: dict) -> images.ImageLimits:
        types = settings.get("supported_mime_types") or ["image/jpeg", "image/png", "image/gif",
                                                         "image/webp"]
        formats = tuple(name for name, mime in images.MIME.items() if mime in types)
        return images.ImageLimits(int(settings.get("max_media_attachments") or 4),
                                  int(settings.get("image_size_limit") or 16 * 1024 * 1024),
                                  formats or ("JPEG", "PNG"), 1500)

    def extra_checks(self, parts, settings, options) -> list[str]:
        if options.get("visibility") and options["visibility"] not in VISIBILITIES:
            from app.errors import ValidationFailed

            raise ValidationFailed(f"visibility must be one of {', '.join(VISIBILITIES)}",
                                   field="options.visibility")
        return []

    @staticmethod
    def base(job: PublishJob) -> str:
        return job.settings["instance_url"].rstrip("/")

    def _request(self, job: PublishJob, method: str, path: str, **kw) -> httpx.Response:
        headers = {**kw.pop("headers", {}), "Authorization": f"Bearer {job.credentials['access_token']}"}
        return self.send(job, method, f"{self.base(job)}{path}", headers=headers, **kw)

    def _upload(self, job: PublishJob, item: dict) -> str:
        prepared = self.load_media(item, job.settings)
        response = self._request(job, "POST", "/api/v2/media",
                                 files={"file": ("image", prepared.data, prepared.content_type)},
                                 data={"description": item.get("alt_text") or ""})
        if response.status_code == 422:
            raise MediaRejected(f"mastodon: {message_of(response)}", status=422)
        media = check(response, "mastodon", message_of).json()
        deadline = time.monotonic() + self.poll_timeout
        while response.status_code == 202 or (response.status_code == 206):
            if time.monotonic() > deadline:
                raise PlatformUnavailable("mastodon: the image is still processing")
            time.sleep(self.poll_interval)
            response = self._request(job, "GET", f"/api/v1/media/{media['id']}")
            check(response, "mastodon", message_of, ok=(200, 206))
        return str(media["id"])

    def _post_part(self, job: PublishJob, index: int, part: Part,
                   previous: PartResult | None) -> PartResult:
        body: dict = {"status": part.text, "visibility": job.options.get("visibility", "public")}
        for name in ("spoiler_text", "language", "sensitive"):
            if job.options.get(name) not in (None, ""):
                body[name] = job.options[name]
        if part.media:
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
