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
