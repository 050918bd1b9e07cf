"""The collector protocol, and where each platform's collector lives.

A collector reads the figures of a batch of one channel's published posts through the same
HTTP client, token refresh and error classification as that platform's publisher:

    collector = collector_for(platform, client)
    snapshots = collector.collect(channel, targets)   # {post id: Snapshot}

`channel` is a PublishJob without parts (the channel's handle, settings and credentials,
with the callbacks that save refreshed tokens); `targets` are at most `collector.batch` posts.
A post the platform no longer has is a Snapshot with status "deleted"; a post it gives no
figures for, "not_available"; figures the connection may not read, "needs_scope". An error for
the whole call (rate limit, outage, revoked token) is raised as the publish error tree's
classes (app/channels/errors.py), and the duty decides when to try again.

Budgets: `rate` is what one channel may spend; `app_rate` (optional) what all channels of the
platform in the deployment may spend together, for platforms that count a limit per app
(per client id) across all its users. Both are counted in PostgreSQL (app/ops/ratelimit.py).
A collector whose calls per batch vary (Mastodon on an instance older than 4.3) says so with
`one_a_call(channel)`, and counts what it made in `calls_made`.

A metrics module may also define `unmeasured(settings) -> str | None`: why the platform gives
no app like OpenPost the figures of this channel's posts at all (LinkedIn personal profiles).
Such posts are recorded "not available" once with that reason, without a call, and their
collection stops; pages show the reason instead of asking for a reconnect that cannot help.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Protocol

import httpx

from app.ops.ratelimit import Limit
from app.platforms.base import PublishJob

# The figures a platform may report, in the order pages show them. A platform reports only
# those it provides; the rest are not available for its posts (never 0).
METRICS = ("impressions", "views", "reach", "likes", "reactions", "reposts", "shares",
           "replies", "comments", "quotes", "bookmarks", "saved", "clicks")
# The figures that count as engagement (an interaction by someone who saw the post).
ENGAGEMENT = ("likes", "reactions", "reposts", "shares", "replies", "comments", "quotes",
              "bookmarks", "saved", "clicks")
LABELS = {"impressions": "Impressions", "views": "Views", "reach": "Reach", "likes": "Likes",
          "reactions": "Reactions", "reposts": "Reposts", "shares": "Shares",
          "replies": "Replies", "comments": "Comments", "quotes": "Quotes",
          "bookmarks": "Bookmarks", "saved": "Saves", "clicks": "Clicks"}
NEEDS_SCOPE = "reconnect to allow insights"


@dataclass
class Target:
    """One published post to measure."""

    post_id: str
    provider_post_id: str
    live_url: str | None = None
    extra: dict = field(default_factory=dict)  # the first part's extra (Bluesky uri and cid)
    options: dict = field(default_factory=dict)
    published_at: datetime | None = None
    media_kind: str | None = None  # "image", "video", "carousel" (Instagram metrics differ)


@dataclass
class Snapshot:
    status: str = "ok"
    metrics: dict = field(default_factory=dict)
    detail: str | None = None
    final: bool = False  # no later measurement can tell more: the post's collection stops

    @classmethod
    def of(cls, **figures) -> Snapshot:
        """The figures the platform gave; a None (absent in its answer) is left out."""
        return cls("ok", {k: int(v) for k, v in figures.items() if v is not None})


class Collector(Protocol):
    platform: ClassVar[str]
    figures: ClassVar[tuple[str, ...]]  # what the platform reports (the rest: not available)
    batch: ClassVar[int]  # posts per collect() at most
    per_post: ClassVar[bool]  # optional: True when each post is its own call
    # The read calls one channel may make for metrics (a share of the platform's limit that
    # leaves the rest to publishing); docs/analytics.md shows the arithmetic.
    rate: ClassVar[Limit]
    # optional: app_rate: ClassVar[Limit], the budget all channels of the platform share
    # optional: budget_owner(settings) -> str | None, who `rate` counts for when that is not
    # the channel (LinkedIn: the member whose token every page they connected uses)

    def __init__(self, client: httpx.Client) -> None: ...

    def collect(self, channel: PublishJob, targets: list[Target]) -> dict[str, Snapshot]: ...


def collector_for(platform: str, client: httpx.Client) -> Collector:
    """The collector of `platform`, from its package (app/platforms/<platform>/metrics.py)."""
    module = importlib.import_module(f"app.platforms.{platform}.metrics")
    return module.MetricsCollector(client)


def every(targets: list[Target], status: str, detail: str | None = None,
          final: bool = False) -> dict[str, Snapshot]:
    return {t.post_id: Snapshot(status, {}, detail, final) for t in targets}


def unmeasured(platform: str, settings: dict | None) -> str | None:
    """Why the platform never gives OpenPost the figures of this channel's posts, or None."""
    try:
        module = importlib.import_module(f"app.platforms.{platform}.metrics")
    except ImportError:
        return None
    why = getattr(module, "unmeasured", None)
    return why(dict(settings or {})) if why else None


def one_a_call(collector: Collector, channel: PublishJob) -> bool:
    """Whether this channel's posts are read one a call (then each post spends the budget)."""
    check = getattr(collector, "one_a_call", None)
    return bool(check(channel)) if check else bool(getattr(collector, "per_post", False))


def rate_key(collector: Collector, channel_id, settings: dict) -> str:
    """The counter of the `rate` budget a channel's calls spend: the channel's own, or the one
    its collector names for every channel of the same owner."""
    owner = getattr(collector, "budget_owner", None)
    named = owner(settings) if owner is not None else None
    return f"metrics:{named}" if named else f"metrics:{channel_id}"


def app_key(platform: str) -> str:
    """The counter of the platform's per-app budget: one per client id and API host, so all
    channels of the deployment share it (and the sandbox's fakes count apart)."""
    from app import config

    conf = config.settings().platform(platform)
    return f"metrics-app:{platform}:{conf.client_id or '-'}@{conf.api_url or 'default'}"


def engagement(metrics: dict) -> int | None:
    """The sum of the engagement figures reported; None when none is."""
    found = [metrics[k] for k in ENGAGEMENT if k in metrics]
    return sum(found) if found else None
