"""From a stored post to the parts a publisher receives, and the schedule-time check."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.media.models import Media
from app.media.service import describe
from app.platforms.base import Part
from app.platforms.registry import PUBLISHERS


def media_ids_of(posts: Iterable) -> set[str]:
    """Every media id the posts (or claimed rows) use, post-level and per part."""
    wanted: set[str] = set()
    for post in posts:
        wanted.update(str(m) for m in post.media_ids or [])
        wanted.update(str(m) for p in post.parts or [] for m in p.get("media_ids") or [])
    return wanted


def describe_media(sess: Session, ids: set[str]) -> dict[str, dict]:
    """The publishers' description of each media id (missing ids are left out)."""
    if not ids:
        return {}
    found = sess.scalars(sa.select(Media).where(Media.id.in_([uuid.UUID(m) for m in ids])))
    return {str(m.id): describe(m) for m in found}


def build_parts(post, media: dict[str, dict]) -> list[Part]:
    """Explicit parts as written, or the text as one part (the publisher splits it); post-level
    media go on the first part. `post` is a Post or a claimed row; `media` from describe_media."""
    def described(ids) -> list[dict]:
        return [media[str(m)] for m in ids or [] if str(m) in media]

    if post.parts is None:
        return [Part(post.text or "", described(post.media_ids))]
    parts = [Part(p.get("text") or "", described(p.get("media_ids"))) for p in post.parts]
    if parts:
        parts[0].media = described(post.media_ids) + parts[0].media
    return parts


def post_parts(sess: Session, post) -> list[Part]:
    """The parts of a stored post, its media described."""
    return build_parts(post, describe_media(sess, media_ids_of([post])))


def check_publishable(sess: Session, channel, post) -> list[str]:
    """Refuse what this channel's publisher could not publish; return its warnings."""
    cls = PUBLISHERS.get(channel.platform)
    if cls is None:
        raise ValidationFailed(f"publishing to {channel.platform} is not available yet; "
                               "keep the post as a draft", field="channel_id")
    return cls(None).validate(post_parts(sess, post), channel.settings or {}, post.options or {})
