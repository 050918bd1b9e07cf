"""Media use cases: upload (checked from the bytes), read, describe, delete, platform renditions."""

from __future__ import annotations

import hashlib
import logging
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.errors import Conflict, NotFound, ValidationFailed
from app.media import convert, sniff, specs
from app.media.models import Media
from app.media.storage import storage
from app.timeutil import iso

log = logging.getLogger(__name__)
MAX_IMAGE_BYTES = 50 * 1024 * 1024


def media_json(media: Media, url: str | None = None) -> dict:
    return {"id": str(media.id), "filename": media.filename, "content_type": media.content_type,
            "size_bytes": media.size_bytes, "width": media.width, "height": media.height,
            "duration_ms": media.duration_ms, "alt_text": media.alt_text,
            "status": media.status, "progress": media.progress,
            "renditions": {k: {"status": v.get("status"), "progress": v.get("progress"),
                               "error": v.get("error")}
                           for k, v in (media.renditions or {}).items()},
            "url": url, "created_at": iso(media.created_at)}


def upload(sess: Session, workspace_id: uuid.UUID, actor: str, filename: str, data: bytes,
           alt_text: str = "") -> Media:
    """Store a file after checking what it really is; refuse damaged or unsupported files."""
    found = sniff.probe(data)
    if found.kind == "image" and len(data) > MAX_IMAGE_BYTES:
        raise ValidationFailed(f"images can be at most {MAX_IMAGE_BYTES // 2**20} MB",
                               field="file")
    if len(alt_text) > 1500:
        raise ValidationFailed("alt text can be at most 1500 characters", field="alt_text")
    media = Media(id=uuid.uuid4(), workspace_id=workspace_id, filename=filename[:255],
                  content_type=found.content_type, size_bytes=len(data),
                  sha256=hashlib.sha256(data).hexdigest(), storage_key="", width=found.width,
                  height=found.height, duration_ms=found.duration_ms, alt_text=alt_text,
                  status="ready", progress=100,
                  renditions={}, )
    media.storage_key = str(media.id)
    storage().put(str(workspace_id), media.storage_key, data)
    sess.add(media)
    sess.flush()
    audit.record(sess, workspace_id, actor, "media.uploaded", target_type="media",
                 target_id=media.id, after={"content_type": media.content_type,
                                            "size_bytes": media.size_bytes})
    sess.commit()
    return media


def get_media(sess: Session, workspace_id, media_id) -> Media:
    media = sess.scalar(sa.select(Media).where(Media.id == media_id,
                                               Media.workspace_id == workspace_id))
    if media is None:
        raise NotFound("no such media in this workspace")
    return media


def list_media(sess: Session, workspace_id, limit: int = 50, before=None) -> list[Media]:
    query = sa.select(Media).where(Media.workspace_id == workspace_id)
    if before is not None:
        query = query.where(sa.tuple_(Media.created_at, Media.id) < sa.tuple_(*before))
    return list(sess.scalars(query.order_by(Media.created_at.desc(), Media.id.desc())
                             .limit(limit)))


def set_alt_text(sess: Session, workspace_id, media_id, actor: str, alt_text: str) -> Media:
    media = get_media(sess, workspace_id, media_id)
    if len(alt_text) > 1500:
        raise ValidationFailed("alt text can be at most 1500 characters", field="alt_text")
    media.alt_text = alt_text
    sess.commit()
    return media


def delete_media(sess: Session, workspace_id, media_id, actor: str) -> None:
    from app.posts.lifecycle import LIVE
    from app.posts.models import Post

    media = get_media(sess, workspace_id, media_id)
    ref = str(media.id)
    in_use = sess.scalar(sa.select(sa.func.count()).select_from(Post).where(
        Post.workspace_id == workspace_id, Post.state.in_(LIVE),
        sa.or_(Post.media_ids.contains([ref]),
               sa.func.jsonb_path_exists(Post.parts, sa.text("'$[*].media_ids[*] ? (@ == $m)'"),
                                         sa.func.jsonb_build_object("m", ref)))))
    if in_use:
        raise Conflict("a scheduled post uses this file; remove it from the post first",
                       field="media_id")
    for key in [media.storage_key, *(r.get("key") for r in (media.renditions or {}).values())]:
        if key:
            storage().delete(str(workspace_id), key)
    audit.record(sess, workspace_id, actor, "media.deleted", target_type="media",
                 target_id=media.id)
    sess.delete(media)
    sess.commit()


def original_bytes(media: Media) -> bytes:
    return storage().get(str(media.workspace_id), media.storage_key)


def describe(media: Media) -> dict:
    """The media entry of a publish job's part (plain values, safe to pass to a publisher)."""
    return {"id": str(media.id), "workspace_id": str(media.workspace_id),
            "content_type": media.content_type, "alt_text": media.alt_text or "",
            "storage_key": media.storage_key, "size_bytes": media.size_bytes,
            "width": media.width, "height": media.height, "duration_ms": media.duration_ms}


def read_bytes(item: dict) -> bytes:
    """The original bytes of a media entry made by describe()."""
    return storage().get(item["workspace_id"], item["storage_key"])


def unfit_reason(media: Media, platform: str) -> str | None:
    """Why no conversion could make this file acceptable to the platform: the refusal of an
    earlier conversion, or what the upload measured (duration, frame size); else None."""
    known = (media.renditions or {}).get(platform) or {}
    if known.get("status") == "failed":
        return known.get("error") or f"the file could not be converted for {platform}"
    if media.content_type.startswith("video/"):
        probe = sniff.Probe(media.content_type, "video", media.width or 0, media.height or 1,
                            duration_ms=media.duration_ms)
        return "; ".join(convert.video_problems(probe, specs.VIDEOS[platform], platform)) or None
    spec = specs.IMAGES[platform]
    aspect = (media.width or 1) / (media.height or 1)
    low, high = spec.min_aspect, spec.max_aspect
    if low and aspect < low - 0.005 or high and aspect > high + 0.005:
        return (f"{platform} takes images with an aspect ratio from {low:.2f} to {high:.2f}; "
                f"{media.filename or media.id} is {aspect:.2f}")
    return None


def check_for_platform(media_list: list[Media], platform: str) -> None:
    """Refuse at schedule time what no conversion could make acceptable to the platform.

    (How many images a post may carry is the publisher's own check.)"""
    videos = [m for m in media_list if m.content_type.startswith("video/")]
    mixed = platform in specs.MIXED_CAROUSELS  # photos and videos together in one carousel
    if videos and not mixed and (len(videos) > 1 or len(videos) < len(media_list)):
        raise ValidationFailed(f"{platform} takes one video alone in a post", field="media_ids")
    for media in media_list:
        reason = unfit_reason(media, platform)
        if reason:
            raise ValidationFailed(reason, field="media_ids")
