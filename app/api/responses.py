"""Response shapes of the REST API, for the OpenAPI document (the code builds the same JSON)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    """Strict: a field the code sends but this document lacks fails the conformance tests."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(Out):
    code: str
    message: str
    request_id: str | None
    field: str | None = None


class Error(Out):
    error: ErrorBody


class Channel(Out):
    id: str
    platform: str
    handle: str
    display_name: str
    timezone: str
    status: Literal["connected", "disconnected"]
    status_reason: str | None
    created_at: str | None


class ChannelList(Out):
    data: list[Channel]


class PostError(Out):
    code: str
    message: str | None


class PartOut(Out):
    text: str
    media_ids: list[str]
    provider_post_id: str | None
    live_url: str | None


class PostEventOut(Out):
    from_: str | None = Field(alias="from")
    to: str
    actor: str
    at: str | None
    request_id: str | None
    detail: dict[str, Any]


class Post(Out):
    id: str
    channel_id: str
    group_id: str
    state: Literal["draft", "scheduled", "publishing", "published", "failed", "canceled"]
    schedule_at: str | None
    timezone: str
    text: str | None
    parts: list[PartOut] | None
    media_ids: list[str]
    options: dict[str, Any]
    live_url: str | None
    provider_post_id: str | None
    results: list[dict[str, Any]]
    warnings: list[Any]
    attempts: int
    next_attempt_at: str | None
    error: PostError | None
    published_at: str | None
    created_at: str | None
    updated_at: str | None
    version: int
    events: list[PostEventOut]


class PostList(Out):
    data: list[Post]
    next_cursor: str | None


class Webhook(Out):
    id: str
    url: str = Field(description="query values and credentials are masked")
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: str | None
    created_at: str | None


class WebhookCreated(Webhook):
    secret: str = Field(description="the whsec_ signing secret; shown only in this response")


class WebhookList(Out):
    data: list[Webhook]
    next_cursor: str | None


class Delivery(Out):
    id: str
    endpoint_id: str
    event_id: str = Field(description="the webhook-id header, the same on every attempt")
    event_type: str
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    next_attempt_at: str | None
    response_status: int | None
    error: str | None
    duration_ms: int | None
    last_attempt_at: str | None
    delivered_at: str | None
    created_at: str | None


class DeliveryList(Out):
    data: list[Delivery]
    next_cursor: str | None


class AuditEntry(Out):
    id: int
    at: str | None
    actor: str
    action: str
    target_type: str | None
    target_id: str | None
    request_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str | None = Field(description="null until the entry is sealed into the chain")


class AuditList(Out):
    data: list[AuditEntry]
    next_cursor: str | None


class Notification(Out):
    id: str
    kind: str
    title: str
    body: str
    post_id: str | None
    channel_id: str | None
    read: bool
    created_at: str | None


class NotificationList(Out):
    data: list[Notification]
    next_cursor: str | None


class Marked(Out):
    marked_read: int


class RenditionState(Out):
    """A platform's copy of the file: queued when a post (or the composer) attached it, then
    converted by a worker (progress in percent), ready, or failed with the reason."""

    status: Literal["queued", "processing", "ready", "failed"] | None
    progress: int | None
    error: str | None


class Media(Out):
    id: str
    filename: str
    content_type: str
    size_bytes: int
    width: int | None
    height: int | None
    duration_ms: int | None
    alt_text: str
    status: str
    progress: int
    renditions: dict[str, RenditionState]
    url: str | None
    created_at: str | None


class MediaList(Out):
    data: list[Media]


class PostOptions(Out):
    platform: str
    options: Any


class Figures(Out):
    """Figures by name; a figure the platform does not give is null (never 0)."""

    impressions: int | None = None
    views: int | None = None
    reach: int | None = None
    likes: int | None = None
    reactions: int | None = None
    reposts: int | None = None
    shares: int | None = None
    replies: int | None = None
    comments: int | None = None
    quotes: int | None = None
    bookmarks: int | None = None
    saved: int | None = None
    clicks: int | None = None


class Measurement(Out):
    post_id: str
    channel_id: str
    stage: Literal["1h", "24h", "7d", "30d", "manual"]
    status: Literal["ok", "not_available", "deleted", "unreachable", "needs_scope"]
    measured_at: str | None
    metrics: dict[str, int]
    detail: str | None


class PostMetrics(Out):
    post_id: str
    platform: str
    status: Literal["pending", "ok", "not_available", "deleted", "unreachable", "needs_scope"]
    detail: str | None
    measured_at: str | None
    metrics: Figures
    not_available: list[str]
    next_measurement_at: str | None
    series: list[Measurement]


class AnalyticsDay(Out):
    channel_id: str
    date: str
    posts: int
    measured: int
    metrics: dict[str, int]
    engagement: int | None


class Analytics(Out):
    from_: str = Field(alias="from")
    to: str
    data: list[AnalyticsDay]


class Rule(Out):
    id: str
    name: str
    channel_ids: list[str]
    text: str | None
    parts: list[dict[str, Any]] | None
    media_ids: list[str]
    options: dict[str, Any]
    overrides: dict[str, str]
    timezone: str
    rule: dict[str, Any]
    starts_at: str | None
    ends_at: str | None
    count: int | None
    paused: bool
    next_occurrences: list[str] = Field(description="the next times, paused or not")
    created_at: str | None
    updated_at: str | None


class RuleList(Out):
    data: list[Rule]


class Occurrence(Out):
    occurs_at: str | None
    post_id: str | None = Field(description="null: beyond the horizon, no post made yet")
    channel_id: str
    state: str


class OccurrenceList(Out):
    data: list[Occurrence]


class Slot(Out):
    id: str
    channel_id: str
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    time: str


class SlotList(Out):
    data: list[Slot]


class Queue(Out):
    data: list[Post]
    next_free_slot: str | None
