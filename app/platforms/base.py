"""The Publisher protocol and the values that cross it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

import httpx

JSON = dict[str, Any]  # a JSON object: settings, credentials, options, media entries


@dataclass
class Part:
    """One post of a thread (a single post is a thread of one)."""

    text: str
    media: list[JSON] = field(default_factory=list)  # {"id", "content_type", "alt_text", ...}


@dataclass
class PartResult:
    index: int
    provider_post_id: str
    live_url: str | None = None
    extra: JSON = field(default_factory=dict)  # e.g. Bluesky uri/cid for the reply chain


@dataclass
class PublishResult:
    provider_post_id: str
    live_url: str | None
    parts: list[PartResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class PublishJob:
    """Everything a publisher needs for one attempt; callbacks persist progress at once."""

    post_id: str
    channel_id: str
    platform: str
    handle: str
    settings: JSON
    credentials: JSON
    parts: list[Part]
    options: JSON
    idempotency_key: str
    # Parts already published by earlier attempts: never re-posted. A result with an empty
    # provider_post_id is a step on the way (a Threads container id in `extra`), not a post.
    done: list[PartResult]
    # Persist at once, replacing any earlier result with the same index.
    save_part: Callable[[PartResult], None]
    save_credentials: Callable[[JSON], None]
    attempt: int = 1
    # The post's schedule time: stable across retries, it dates Bluesky record keys.
    schedule_at: datetime | None = None
    # renew(stale credentials, exchange) -> the credentials to use. The engine runs it under the
    # channel's row lock (see refresh_with); without it the exchange is made and saved directly.
    renew: Callable[[JSON, Callable[[JSON], JSON]], JSON] | None = None
    # taken(provider post id) -> whether another post of this channel already holds that
    # platform post: a look-up after a lost answer must not adopt it. None: nothing is known.
    taken: Callable[[str], bool] | None = None

    def holds_elsewhere(self, provider_post_id: str) -> bool:
        """Whether another OpenPost post already settled on this platform post."""
        return bool(self.taken and self.taken(provider_post_id))

    def refresh_with(self, exchange: Callable[[JSON], JSON]) -> JSON:
        """New credentials from `exchange` (the platform's refresh call), saved before any use.
        Through `renew`, a worker that finds the channel already refreshed by another takes
        those credentials instead of spending a single-use refresh token a second time."""
        if self.renew is not None:
            self.credentials = self.renew(self.credentials, exchange)
        else:
            self.credentials = exchange(dict(self.credentials))
            self.save_credentials(self.credentials)
        return self.credentials


class PostOptions:
    """The post options a publisher takes (the composer offers them, the API lists them):
    {name: {"type", "choices"?, "default"?, "max_length"?, "max_items"?}}."""

    options: ClassVar[dict[str, JSON]] = {}

    @classmethod
    def options_for(cls, settings: JSON) -> dict[str, JSON]:
        """The options offered for one channel (TikTok's depend on the account)."""
        return dict(cls.options)

    @classmethod
    def check_option_rules(cls, options: JSON) -> None:
        """Raise ValidationFailed where options break a rule between them."""


class TokenRefresh:
    """How a platform's tokens are kept fresh: each publisher declares its window and its
    exchange, and app/channels/tokens.py's `ensure_fresh` is the one path that uses them (the
    engine before a call, a refresh inside a publish, the composer's calls, the sweep)."""

    # Refresh this long before the token expires (seconds); 0: never ahead of a call.
    refresh_window: ClassVar[float] = 0

    @classmethod
    def refresh_due(cls, credentials: dict[str, Any], now: float) -> bool:
        """Whether the stored token should be refreshed now: inside the window, with a refresh
        token to do it with."""
        expires = credentials.get("expires_at")
        return bool(cls.refresh_window and expires and credentials.get("refresh_token")
                    and float(expires) - now < cls.refresh_window)

    def refresh_token(self, job: PublishJob) -> None:
        """Refresh the job's credentials now, through `job.refresh_with` (the platform's own
        exchange); a platform whose tokens never expire has nothing to do."""


# A thread-capable platform's options: splitting a long text, and numbering its parts.
THREAD_OPTIONS = {"auto_thread": {"type": "boolean", "default": True},
                  "numbering": {"type": "boolean", "default": False}}


class Publisher(Protocol):
    platform: ClassVar[str]
    name: ClassVar[str]  # as people write it
    options: ClassVar[dict[str, JSON]]

    @classmethod
    def options_for(cls, settings: JSON) -> dict[str, JSON]: ...

    @classmethod
    def check_option_rules(cls, options: JSON) -> None: ...

    def __init__(self, client: httpx.Client) -> None: ...

    def validate(self, parts: list[Part], settings: JSON, options: JSON) -> list[str]:
        """Raise ValidationFailed if this cannot be published; return warnings otherwise."""
        ...

    def publish(self, job: PublishJob) -> PublishResult:
        """Publish the parts not yet in job.done, or raise a PublishError."""
        ...

    def reconcile(self, job: PublishJob) -> PublishResult | None:
        """After a lost attempt: the result if the platform shows the post, None if it surely
        does not; raise OutcomeUnknown when it cannot tell."""
        ...
