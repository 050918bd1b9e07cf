"""From a stored post to a publish job, and the schedule-time check."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.channels.base import Part, PartResult, PublishJob
from app.channels.registry import PUBLISHERS
from app.errors import ValidationFailed
from app.media.models import Media
from app.media.service import describe


def post_parts(sess: Session, post) -> list[Part]:
    """Explicit parts as written, or the text as one part (the publisher splits it); post-level
    media go on the first part."""
    wanted = {str(m) for m in post.media_ids or []}
    wanted |= {str(m) for p in post.parts or [] for m in p.get("media_ids") or []}
    rows = {str(m.id): describe(m) for m in sess.scalars(sa.select(Media).where(
        Media.id.in_([uuid.UUID(m) for m in wanted])))} if wanted else {}
    head = [rows[str(m)] for m in post.media_ids or [] if str(m) in rows]
    if post.parts is None:
        return [Part(post.text or "", head)]
    parts = [Part(p.get("text") or "", [rows[str(m)] for m in p.get("media_ids") or []
                                        if str(m) in rows]) for p in post.parts]
    if parts and head:
        parts[0].media = head + parts[0].media
    return parts


def check_publishable(sess: Session, channel, post) -> list[str]:
    """Refuse what this channel's publisher could not publish; return its warnings."""
    cls = PUBLISHERS.get(channel.platform)
    if cls is None:
        raise ValidationFailed(f"publishing to {channel.platform} is not available yet; "
                               "keep the post as a draft", field="channel_id")
    return cls(None).validate(post_parts(sess, post), channel.settings or {}, post.options or {})


def job_for(sess: Session, post, channel, *, save_part, save_credentials, attempt: int = 1
            ) -> PublishJob:
    """The publish job of a claimed post; `post.results` are the parts earlier attempts saved."""
    done = [PartResult(index=r["index"], provider_post_id=r.get("provider_post_id") or "",
                       live_url=r.get("live_url"), extra=r.get("extra") or {})
            for r in post.results or []]
    return PublishJob(post_id=str(post.id), channel_id=str(channel.id), platform=channel.platform,
                      handle=channel.handle, settings=dict(channel.settings or {}),
                      credentials=channel.credentials, parts=post_parts(sess, post),
                      options=dict(post.options or {}),
                      idempotency_key=post.idempotency_key or str(post.id), done=done,
                      save_part=save_part, save_credentials=save_credentials, attempt=attempt,
                      schedule_at=post.schedule_at)
