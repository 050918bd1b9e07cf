"""Request bodies of the REST API: one pydantic model each, strict about unknown fields."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.config import PLATFORMS
from app.errors import ValidationFailed
from app.timeutil import in_range

Platform = Literal[PLATFORMS]  # type: ignore[valid-type]


def _bounded(moment: datetime) -> datetime:
    try:
        return in_range(moment, "the time")
    except ValidationFailed as exc:
        raise ValueError(exc.message) from exc


Moment = Annotated[datetime, AfterValidator(_bounded)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=100_000)


class ChannelCreate(Strict):
    platform: Platform
    handle: str | None = Field(None, max_length=255)
    display_name: str | None = Field(None, max_length=255)
    timezone: str | None = Field(None, max_length=64)
    app_password: str | None = Field(None, max_length=255)
    pds_url: str | None = Field(None, max_length=2048)
    instance_url: str | None = Field(None, max_length=2048)
    access_token: str | None = Field(None, max_length=8192)
    refresh_token: str | None = Field(None, max_length=8192)
    expires_at: Moment | None = None
    account_id: str | None = Field(None, max_length=255)


class ChannelUpdate(Strict):
    timezone: str | None = Field(None, max_length=64)
    display_name: str | None = Field(None, max_length=255)


class PartIn(Strict):
    text: str = ""
    media_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class PostCreate(Strict):
    channel_id: uuid.UUID
    text: str | None = None
    parts: list[PartIn] | None = Field(None, max_length=100)
    media_ids: list[uuid.UUID] = Field(default_factory=list, max_length=35)
    schedule_at: str | None = Field(None, max_length=64)
    timezone: str | None = Field(None, max_length=64)
    options: dict = Field(default_factory=dict)
    group_id: uuid.UUID | None = None


class PostUpdate(Strict):
    channel_id: uuid.UUID | None = Field(None, description="move the post to another channel")
    text: str | None = None
    parts: list[PartIn] | None = Field(None, max_length=100)
    media_ids: list[uuid.UUID] | None = Field(None, max_length=35)
    schedule_at: str | None = Field(None, max_length=64)
    timezone: str | None = Field(None, max_length=64)
    options: dict | None = None


class ScheduleBody(Strict):
    schedule_at: str | None = Field(None, max_length=64)
    timezone: str | None = Field(None, max_length=64)


WebhookEvent = Literal["post.draft", "post.scheduled", "post.publishing", "post.published",
                       "post.failed", "post.canceled", "channel.disconnected"]


class WebhookCreate(Strict):
    url: str = Field(max_length=2048, description="http(s) URL that receives the events")
    events: list[WebhookEvent] = Field(default_factory=list, max_length=7,
                                       description="event filter; empty means every event")
    description: str = Field("", max_length=255)


class MediaUpdate(Strict):
    alt_text: str = Field(max_length=1500)


class MediaUpload(BaseModel):
    """multipart/form-data: the file, and optionally its alt text."""

    file: bytes = Field(json_schema_extra={"format": "binary", "type": "string"})
    alt_text: str = Field("", max_length=1500)


CronValue = int | Annotated[str, Field(max_length=100)]


class CronRule(Strict):
    """APScheduler CronTrigger fields, read in the rule's time zone; those left out below the
    most significant one given are their minimum (hour 9 alone means 09:00)."""

    year: CronValue | None = None
    month: CronValue | None = None
    day: CronValue | None = Field(None, description='1-31, "last", "1st mon", "last fri"')
    week: CronValue | None = None
    day_of_week: CronValue | None = Field(None, description='e.g. "mon-fri" or "tue,thu"')
    hour: CronValue | None = None
    minute: CronValue | None = None

    def fields(self) -> dict:
        return self.model_dump(exclude_none=True)


class RuleCreate(Strict):
    channel_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    rule: CronRule
    name: str = Field("", max_length=200)
    text: str | None = None
    parts: list[PartIn] | None = Field(None, max_length=100)
    media_ids: list[uuid.UUID] = Field(default_factory=list, max_length=35)
    options: dict[str, dict] = Field(default_factory=dict,
                                     description="post options by channel id")
    overrides: dict[str, str] = Field(default_factory=dict,
                                      description="a channel's own text, by channel id")
    timezone: str | None = Field(None, max_length=64,
                                 description="IANA zone; the first channel's by default")
    starts_at: str | None = Field(None, max_length=64)
    ends_at: str | None = Field(None, max_length=64)
    count: int | None = Field(None, ge=1, le=1000, description="occurrences in all")


class RuleUpdate(Strict):
    channel_ids: list[uuid.UUID] | None = Field(None, min_length=1, max_length=20)
    rule: CronRule | None = None
    name: str | None = Field(None, max_length=200)
    text: str | None = None
    parts: list[PartIn] | None = Field(None, max_length=100)
    media_ids: list[uuid.UUID] | None = Field(None, max_length=35)
    options: dict[str, dict] | None = None
    overrides: dict[str, str] | None = None
    timezone: str | None = Field(None, max_length=64)
    starts_at: str | None = Field(None, max_length=64)
    ends_at: str | None = Field(None, max_length=64)
    count: int | None = Field(None, ge=1, le=1000)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class SlotCreate(Strict):
    weekdays: list[Weekday] = Field(min_length=1, max_length=7)
    time: str = Field(max_length=5, description="HH:MM in the channel's time zone")


class QueueOrder(Strict):
    post_ids: list[uuid.UUID] = Field(min_length=2, max_length=200,
                                      description="the posts in their new order")
