"""Media as a platform takes it: the stored rendition's bytes, or a signed link to it."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app.platforms.errors import MediaRejected

# Platforms that pull media keep the link for retries and slow processing: two days.
URL_TTL = 2 * 86_400


def _sessions():
    """Short sessions on the publisher's database bind (a worker's engine, or a test's
    connection): renditions record their progress in their own transactions."""
    from app import db

    bind = db.session.get_bind()
    return lambda: Session(bind=bind, join_transaction_mode="create_savepoint")


def _media(sessions, item: dict):
    from app.media.models import Media

    with sessions() as sess:
        media = sess.get(Media, uuid.UUID(str(item["id"])))
        if media is None:
            raise MediaRejected(f"a media file of this post was deleted ({item['id']})")
        return media


def rendition(item: dict, platform: str) -> tuple[bytes, str]:
    """(bytes, content type) converted to the platform's spec; refusals become media_error."""
    from app.media.convert import MediaUnfit
    from app.media.renditions import rendition as make

    sessions = _sessions()
    try:
        return make(sessions, _media(sessions, item), platform)
    except MediaUnfit as exc:
        raise MediaRejected(f"{platform}: {exc}") from exc


def rendition_url(item: dict, platform: str, ttl: int = URL_TTL) -> str:
    """An expiring link serving the platform's rendition (made first if needed)."""
    from app.media.signing import signed_url

    rendition(item, platform)
    return signed_url(item["workspace_id"], item["id"], variant=platform, ttl=ttl)


def is_video(item: dict) -> bool:
    return str(item.get("content_type", "")).startswith("video/")


def chunks(size: int, chunk_size: int) -> list[tuple[int, int]]:
    """(first byte, last byte) of each chunk; the remainder joins the last chunk."""
    count = max(1, size // chunk_size)
    bounds = [(i * chunk_size, (i + 1) * chunk_size - 1) for i in range(count)]
    return bounds[:-1] + [(bounds[-1][0], size - 1)]
