"""A publisher for the loopback platform: Mastodon's statuses API, text and threads only.

Used by the benchmark and the engine tests; the real platform publishers live in
app/platforms/<name>/publisher.py and are registered in app/platforms/registry.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from app.errors import ValidationFailed
from app.platforms.base import Part, PartResult, PublishJob, PublishResult, TokenRefresh
from app.platforms.errors import (
    AuthRevoked,
    InvalidContent,
    NetworkError,
    OutcomeUnknown,
    PlatformRejected,
    PlatformUnavailable,
    PublishError,
    RateLimited,
)

LIMIT = 500


class LoopbackPublisher(TokenRefresh):
    platform = "mastodon"
    send_key = True  # Mastodon's Idempotency-Key; NoKeyPublisher plays a platform without one
    # Unlike Mastodon's, the loopback platform's tokens expire (when a channel is made with
    # token_expires_at) and are refreshed like any platform's: through tokens.ensure_fresh,
    # within ten minutes of expiry.
    refresh_window = 600.0

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def validate(self, parts: list[Part], settings: dict, options: dict) -> list[str]:
        for i, part in enumerate(parts):
            if len(part.text) > LIMIT:
                raise ValidationFailed(f"part {i + 1} is longer than {LIMIT} characters",
                                       field=f"parts[{i}].text")
        return []

    def publish(self, job: PublishJob) -> PublishResult:
        results = sorted(job.done, key=lambda r: r.index)
        done = {r.index for r in results}
        previous = results[-1].provider_post_id if results else None
        for index, part in enumerate(job.parts):
            if index in done:
                continue
            status = self._create(job, index, part, previous)
            result = PartResult(index, status["id"], status.get("url"))
            job.save_part(result)
            results.append(result)
            previous = status["id"]
        return PublishResult(results[0].provider_post_id, results[0].live_url, parts=results)

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        # Mastodon keeps an Idempotency-Key for an hour: repeating the request returns the
        # status the lost attempt made, or makes it now if that attempt never got through.
        return self.publish(job)

    def refresh_token(self, job: PublishJob) -> None:
        job.refresh_with(lambda credentials: self.refresh(credentials, job.settings))

    def refresh(self, credentials: dict, settings: dict) -> dict:
        """The RFC 6749 refresh grant: new credentials (the refresh token rotates)."""
        response = self._send("POST", f"{settings['instance_url']}/oauth/token", data={
            "grant_type": "refresh_token", "refresh_token": credentials.get("refresh_token", "")})
        if response.status_code == 400:
            raise AuthRevoked(response.json().get("error_description", "refresh refused"),
                              status=400, body=response.text)
        body = _checked(response)
        return {"access_token": body["access_token"], "refresh_token": body["refresh_token"],
                "expires_at": datetime.now(UTC) + timedelta(seconds=body["expires_in"])}

    def _create(self, job: PublishJob, index: int, part: Part, reply_to: str | None) -> dict:
        body = {"status": part.text, "visibility": job.options.get("visibility", "public")}
        if reply_to:
            body["in_reply_to_id"] = reply_to
        headers = {"Authorization": f"Bearer {job.credentials.get('access_token', '')}"}
        if self.send_key:
            headers["Idempotency-Key"] = f"{job.idempotency_key}-{index}"
        response = self._send(
            "POST", f"{job.settings['instance_url']}/api/v1/statuses", json=body,
            headers=headers)
        return _checked(response)

    def _send(self, method: str, url: str, **kw) -> httpx.Response:
        try:
            return self.client.request(method, url, **kw)
        except httpx.TimeoutException as exc:
            raise NetworkError(f"the platform did not answer in time ({exc.__class__.__name__})"
                               ) from exc
        except httpx.TransportError as exc:
            raise NetworkError(f"connection to the platform failed ({exc.__class__.__name__})"
                               ) from exc


class NoKeyPublisher(LoopbackPublisher):
    """The loopback platform used as one without idempotency keys, whose posts cannot be
    looked up either: a lost attempt can only fail as `outcome_unknown` (never re-posted)."""

    send_key = False

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        raise OutcomeUnknown("the platform can neither dedupe a repeat nor look a post up; "
                             "check it before retrying")

    def _send(self, method: str, url: str, **kw) -> httpx.Response:
        # As the real publishers of such platforms do (app/channels/facebook.py): a request
        # that may have reached the platform (no answer, a cut connection) is not repeated.
        try:
            return self.client.request(method, url, **kw)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise NetworkError(f"could not connect to the platform ({exc.__class__.__name__})"
                               ) from exc
        except httpx.TransportError as exc:
            raise OutcomeUnknown(f"the post was sent but no answer came back "
                                 f"({exc.__class__.__name__}); check it before retrying") from exc


def _checked(response: httpx.Response) -> dict:
    """The JSON body of a success, or the publish error that Mastodon's answer means."""
    if response.status_code < 300:
        return response.json()
    try:
        message = response.json().get("error") or response.reason_phrase
    except ValueError:
        message = response.text[:200] or response.reason_phrase
    status, kw = response.status_code, {"status": response.status_code, "body": response.text}
    if status == 429:
        reset = response.headers.get("X-RateLimit-Reset")
        retry_at = datetime.fromisoformat(reset.replace("Z", "+00:00")) if reset else None
        raise RateLimited(message, retry_at=retry_at, **kw)
    if status == 401:
        raise AuthRevoked(message, **kw)
    if status == 422:
        raise InvalidContent(message, **kw)
    if status >= 500:
        raise PlatformUnavailable(message, **kw)
    if status >= 400:
        raise PlatformRejected(message, **kw)
    raise PublishError(f"unexpected answer {status}", **kw)
