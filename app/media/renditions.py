"""Per-platform renditions of a media file: converted once under a lease, stored, with progress.

A rendition's state lives in media.renditions[platform]:

    queued      a conversion job waits in the outbox (app.media.conversions)
    processing  a converter holds it until `lease_until` (database clock, epoch seconds),
                renewed with every progress report; one that died leaves an expired lease,
                and the next converter (the job run again, or the publisher) starts over
    ready       `key`, `content_type`, `size`: the stored bytes, used by every publish
    failed      `error`: why no conversion can make the file acceptable (final)

Every change is its own short transaction, so the API and the dashboard see it at once.
"""

from __future__ import annotations

import io
import secrets
import tempfile
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.media import convert, sniff, specs
from app.media.models import Media
from app.media.service import original_bytes
from app.media.storage import storage

LEASE_SECONDS = 60
WAIT_POLL_SECONDS = 0.5
Sessions = Callable[[], Session]
NOW = sa.extract("epoch", sa.func.now())


class Busy(Exception):
    """Another converter holds a live lease on this rendition."""

    def __init__(self, lease_until: float):
        super().__init__(f"being converted elsewhere until {lease_until:.0f}")
        self.lease_until = lease_until


def _merge(platform: str, entry):
    return Media.renditions.op("||")(sa.func.jsonb_build_object(platform, entry))


def _write(sessions: Sessions, media_id, platform: str, entry, *where) -> bool:
    with sessions() as sess:
        done = sess.execute(sa.update(Media).where(Media.id == media_id, *where)
                            .values(renditions=_merge(platform, entry))
                            .returning(Media.id)).first()
        sess.commit()
    return done is not None


def current(sessions: Sessions, media_id, platform: str) -> tuple[dict, float]:
    """(the rendition's state, the database clock in epoch seconds)."""
    with sessions() as sess:
        row = sess.execute(sa.select(Media.renditions[platform], NOW)
                           .where(Media.id == media_id)).first()
    return (row[0] or {}) if row else {}, float(row[1]) if row else 0.0


def claim(sessions: Sessions, media_id, platform: str) -> str | None:
    """Take the conversion (not started, queued, or left behind by a converter whose lease
    ran out); the token fences this converter's progress reports. None: not ours to do."""
    token = secrets.token_hex(8)
    state = Media.renditions[platform]
    status, lease = state["status"].astext, state["lease_until"].astext.cast(sa.Float)
    entry = sa.func.jsonb_build_object("status", "processing", "progress", 0, "by", token,
                                       "lease_until", NOW + LEASE_SECONDS)
    free = sa.or_(status.is_(None), status == "queued",
                  sa.and_(status == "processing", sa.func.coalesce(lease, 0) < NOW))
    return token if _write(sessions, media_id, platform, entry, free) else None


def report(sessions: Sessions, media_id, platform: str, token: str, fraction: float) -> bool:
    """Record progress and renew the lease; False when another converter took over."""
    entry = sa.func.jsonb_build_object("status", "processing", "progress", int(fraction * 100),
                                       "by", token, "lease_until", NOW + LEASE_SECONDS)
    return _write(sessions, media_id, platform, entry,
                  Media.renditions[platform]["by"].astext == token)


def _finish(sessions: Sessions, media_id, platform: str, state: dict) -> None:
    _write(sessions, media_id, platform, sa.bindparam("state", state, type_=JSONB))


def give_up(sessions: Sessions, media_id, platform: str, reason: str) -> None:
    """Record a final refusal (the reason is shown beside the channel it affects), unless a
    converter finished it meanwhile."""
    _write(sessions, media_id, platform,
           sa.bindparam("state", {"status": "failed", "error": reason}, type_=JSONB),
           Media.renditions[platform]["status"].astext.is_distinct_from("ready"))


def convert_claimed(sessions: Sessions, media: Media, platform: str, token: str) -> dict:
    """Convert a rendition this converter claimed, store it and mark it ready; its state."""
    last = [0.0]

    def progress(fraction: float) -> None:
        if time.monotonic() - last[0] >= 1:
            last[0] = time.monotonic()
            report(sessions, media.id, platform, token, fraction)

    data = original_bytes(media)
    key = f"{media.id}.{platform}"
    try:
        if media.content_type.startswith("image/"):
            out, content_type = convert.image_for(data, specs.IMAGES[platform], platform)
            storage().put(str(media.workspace_id), key, out)
            size = len(out)
        else:
            content_type, size = _store_video(media, data, platform, key, progress)
    except convert.MediaUnfit as exc:
        _finish(sessions, media.id, platform, {"status": "failed", "error": str(exc)})
        raise
    state = {"status": "ready", "progress": 100, "key": key, "content_type": content_type,
             "size": size}
    _finish(sessions, media.id, platform, state)
    return state


def _store_video(media: Media, data: bytes, platform: str, key: str, progress
                 ) -> tuple[str, int]:
    """(content type, size) of the stored video rendition, converted into a temporary file
    and stored from there, so the rendition is never held in memory whole."""
    try:
        probe = sniff.probe(data)
    except ValidationFailed as exc:  # stored before a limit it is over
        raise convert.MediaUnfit(exc.message) from exc
    with tempfile.TemporaryFile() as out:
        if not convert.video_into(data, probe, specs.VIDEOS[platform], platform, progress, out):
            storage().put(str(media.workspace_id), key, data)
            return media.content_type, len(data)
        size = out.seek(0, io.SEEK_END)
        out.seek(0)
        storage().put_file(str(media.workspace_id), key, out)
    return "video/mp4", size


def ensure(sessions: Sessions, media: Media, platform: str, *, wait: bool = True) -> dict:
    """The state of `media`'s rendition for `platform` once it is ready (`key`,
    `content_type`, `size`): converted now (once) when nobody has. While another converter
    works on it, wait for its result (or raise Busy when `wait` is false). Raises
    convert.MediaUnfit with the reason when nothing can make the file acceptable."""
    while True:
        known, now = current(sessions, media.id, platform)
        if known.get("status") == "ready":
            return known
        if known.get("status") == "failed":
            raise convert.MediaUnfit(known.get("error") or "the conversion failed")
        token = claim(sessions, media.id, platform)
        if token:
            return convert_claimed(sessions, media, platform, token)
        if not wait:
            raise Busy(float(known.get("lease_until") or now))
        time.sleep(WAIT_POLL_SECONDS)


def rendition(sessions: Sessions, media: Media, platform: str, *, wait: bool = True
              ) -> tuple[bytes, str]:
    """(bytes, content type) of `media` as `platform` takes it (see `ensure`)."""
    state = ensure(sessions, media, platform, wait=wait)
    return storage().get(str(media.workspace_id), state["key"]), state["content_type"]
