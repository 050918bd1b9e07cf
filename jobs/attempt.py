"""One publish attempt of one claimed post: refresh the token, reconcile or publish, classify."""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.channels import tokens
from app.channels.models import Channel
from app.config import sandbox_routes
from app.logs import context_var
from app.platforms import live_urls, registry
from app.platforms.base import PartResult, Publisher, PublishJob, PublishResult
from app.platforms.errors import AuthRevoked, PublishError, RateLimited, UnsupportedPlatform
from app.platforms.http import make_client
from app.posts import publishing
from jobs.claims import ChannelInfo, Claim
from jobs.config import EngineConfig
from jobs.retry import decide

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker owns this post now: stop without writing anything."""


@dataclass
class Outcome:
    claim: Claim
    kind: str                               # 'finish', 'release' or 'drop'
    data: dict[str, Any] = field(default_factory=dict)
    disconnect: str | None = None           # reason to mark the channel disconnected
    blocked_until: datetime | None = None   # the channel's rate limit resets then
    platform: str = "-"                     # for the metrics
    seconds: float = 0.0                    # how long the attempt took


def finish(claim: Claim, target: str, **data: Any) -> Outcome:
    return Outcome(claim, "finish", {"id": claim.id, "token": claim.token, "target": target,
                                     **data})


def release(claim: Claim, reason: str, **data: Any) -> Outcome:
    return Outcome(claim, "release", {"id": claim.id, "token": claim.token, "reason": reason,
                                      **data})


class AttemptRunner:
    """Runs attempts on publish threads; each thread keeps its own httpx.Client."""

    def __init__(self, engine: sa.Engine, cfg: EngineConfig):
        self.engine, self.cfg = engine, cfg
        self.local = threading.local()

    def client(self) -> dict[str, Any]:
        """This thread's httpx.Client and publishers (made once per thread)."""
        cache = getattr(self.local, "publishers", None)
        if cache is None:
            client = make_client(timeout=self.cfg.http_timeout_seconds)
            cache = self.local.publishers = {"_client": client}
        return cache

    def publisher(self, platform: str) -> Publisher:
        cache = self.client()
        if platform not in cache:
            cache[platform] = registry.get_publisher(platform, cache["_client"])
        publisher: Publisher = cache[platform]
        return publisher

    def run(self, claim: Claim, channel: ChannelInfo | None) -> Outcome:
        began = time.monotonic()
        outcome = self._logged_run(claim, channel)
        outcome.platform = channel.platform if channel else "-"
        outcome.seconds = time.monotonic() - began
        return outcome

    def _logged_run(self, claim: Claim, channel: ChannelInfo | None) -> Outcome:
        token = context_var.set({"post_id": str(claim.id), "attempt": claim.attempts,
                                 "channel": str(claim.channel_id),
                                 "platform": channel.platform if channel else "-"})
        try:
            with sandbox_routes(channel.settings if channel else None):
                return self._run(claim, channel)
        except LeaseLost:
            log.warning("lease lost while publishing; the new owner settles the post")
            return Outcome(claim, "drop")
        except sa.exc.DBAPIError as exc:
            # Progress could not be recorded: leave the lease to expire, so the next owner
            # reconciles with the platform instead of guessing here.
            log.warning("database unavailable during the attempt (%s); the lease will expire",
                        exc.__class__.__name__)
            return Outcome(claim, "drop")
        except UnsupportedPlatform as exc:
            return finish(claim, "failed", error_code="validation_error", error_message=str(exc))
        except PublishError as exc:
            return self._after_error(claim, channel, exc)
        except Exception as exc:  # a publisher bug may strike after the platform acted
            log.exception("the publisher crashed")
            return finish(claim, "failed", error_code="outcome_unknown",
                          error_message=f"the publisher failed unexpectedly ({exc!r}); "
                          "check the platform before retrying")
        finally:
            context_var.reset(token)

    def _run(self, claim: Claim, channel: ChannelInfo | None) -> Outcome:
        if channel is None or channel.status != "connected":
            return finish(claim, "failed", error_code="channel_disconnected",
                          error_message="the channel is disconnected; reconnect it and retry")
        if claim.source == "expired" and claim.attempts > self.cfg.max_retries + 2:
            # A post whose attempts keep dying with their worker (one that crashes it, say)
            # must not take workers down forever: stop and say so.
            return finish(claim, "failed", error_code="outcome_unknown", error_message=(
                f"publishing was interrupted {claim.attempts - 1} times (the worker stopped "
                "each time); check the platform before retrying"))
        publisher = self.publisher(channel.platform)
        job = self._job(claim, channel)
        if channel.needs_refresh:
            job.credentials = self.refresh_channel(channel.id) or job.credentials
        result = publisher.reconcile(job) if claim.source == "expired" else None
        if result is None:
            result = publisher.publish(job)
        return self._published(claim, job, result)

    def _job(self, claim: Claim, channel: ChannelInfo) -> PublishJob:
        done = [PartResult(index=r["index"], provider_post_id=r["provider_post_id"],
                           live_url=r.get("live_url"), extra=r.get("extra") or {})
                for r in claim.results]
        last = len(claim.parts) - 1

        def save_part(part: PartResult) -> None:
            part = live_urls.checked_part(channel.platform, channel.settings, part)
            claim.results = [r for r in claim.results if r["index"] != part.index]
            claim.results.append(_part_json(part))
            if part.index == last and part.provider_post_id:
                return  # the published last part is written by the finalize batch at once
            with Session(self.engine) as sess, sess.begin():
                if not publishing.save_part(sess, claim.id, claim.token, _part_json(part)):
                    raise LeaseLost()

        return PublishJob(
            post_id=str(claim.id), channel_id=str(channel.id), platform=channel.platform,
            handle=channel.handle, settings=channel.settings, credentials=channel.credentials,
            parts=claim.parts, options=claim.options, idempotency_key=claim.idempotency_key,
            done=done, save_part=save_part,
            save_credentials=lambda creds: self._store_credentials(channel.id, creds),
            renew=functools.partial(tokens.renew_locked, self.engine, channel.id),
            attempt=claim.attempts, schedule_at=claim.schedule_at,
            taken=functools.partial(self._held_elsewhere, channel.id, claim.id))

    def _held_elsewhere(self, channel_id: uuid.UUID, post_id: uuid.UUID, provider_post_id: str
                        ) -> bool:
        with Session(self.engine) as sess:
            return publishing.held_elsewhere(sess, channel_id, post_id, provider_post_id)

    def refresh_channel(self, channel_id: uuid.UUID) -> dict[str, Any] | None:
        """The channel's credentials to use, refreshed first when its platform says they are
        due (`tokens.ensure_fresh`: under the channel's row lock, so two workers never spend
        one refresh token, the rotated token committed before anything uses it). None: the
        channel is no longer connected."""
        return tokens.ensure_fresh(self.engine, channel_id, self.client()["_client"])

    def _store_credentials(self, channel_id: uuid.UUID, creds: dict[str, Any]) -> None:
        with Session(self.engine) as sess, sess.begin():
            channel = sess.scalar(sa.select(Channel).where(Channel.id == channel_id)
                                  .with_for_update())
            if channel is not None:  # not deleted meanwhile
                tokens.store(channel, creds)

    def _published(self, claim: Claim, job: PublishJob, result: PublishResult) -> Outcome:
        result = live_urls.checked(job.platform, job.settings, result)
        parts = {r["index"]: r for r in claim.results}
        parts.update({p.index: _part_json(p) for p in result.parts})
        return finish(claim, "published", live_url=result.live_url,
                      provider_post_id=result.provider_post_id,
                      results=[parts[i] for i in sorted(parts)], warnings=result.warnings,
                      error_code=None, error_message=None)

    def _after_error(self, claim: Claim, channel: ChannelInfo | None, exc: PublishError) -> Outcome:
        decision = decide(exc, claim.attempts, claim.schedule_at, self.cfg)
        log.info("publish attempt failed: %s %s (%s)", exc.code, exc.message,
                 "retrying" if decision.retry else "giving up")
        if not decision.retry:
            outcome = finish(claim, "failed", error_code=decision.code,
                             error_message=decision.message)
            if isinstance(exc, AuthRevoked):
                outcome.disconnect = exc.message
            return outcome
        outcome = release(claim, decision.code, at=decision.at, delay=decision.delay,
                          refund=int(decision.refund), error_code=decision.code,
                          error_message=decision.message)
        if isinstance(exc, RateLimited):
            outcome.blocked_until = decision.at
        return outcome


def _part_json(part: PartResult) -> dict[str, Any]:
    return {"index": part.index, "provider_post_id": part.provider_post_id,
            "live_url": part.live_url, "extra": part.extra}
