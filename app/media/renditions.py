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

import secrets
import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

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


def convert_claimed(sessions: Sessions, media: Media, platform: str, token: str
                    ) -> tuple[bytes, str]:
    """Convert a rendition this converter claimed, store it and mark it ready."""
    last = [0.0]

    def progress(fraction: float) -> None:
        if time.monotonic() - last[0] >= 1:
            last[0] = time.monotonic()
            report(sessions, media.id, platform, token, fraction)

    data = original_bytes(media)
    try:
        if media.content_type.startswith("image/"):
            out, content_type = convert.image_for(data, specs.IMAGES[platform], platform)
        else:
            probe = sniff.probe(data)
            out = convert.video_for(data, probe, specs.VIDEOS[platform], platform, progress)
            content_type = "video/mp4" if out is not data else media.content_type
    except convert.MediaUnfit as exc:
        _finish(sessions, media.id, platform, {"status": "failed", "error": str(exc)})
        raise
    key = f"{media.id}.{platform}"
    storage().put(str(media.workspace_id), key, out)
    _finish(sessions, media.id, platform, {"status": "ready", "progress": 100, "key": key,
                                           "content_type": content_type, "size": len(out)})
    return out, content_type


def rendition(sessions: Sessions, media: Media, platform: str, *, wait: bool = True
              ) -> tuple[bytes, str]:
    """(bytes, content type) of `media` as `platform` takes it: the stored rendition when it
    is ready, else converted now (once). While another converter works on it, wait for its
    result (or raise Busy when `wait` is false). Raises convert.MediaUnfit with the reason
    when nothing can make the file acceptable."""
    while True:
        known, now = current(sessions, media.id, platform)
        if known.get("status") == "ready":
            return storage().get(str(media.workspace_id), known["key"]), known["content_type"]
        if known.get("status") == "failed":
            raise convert.MediaUnfit(known.get("error") or "the conversion failed")
        token = claim(sessions, media.id, platform)
        if token:
            return convert_claimed(sessions, media, platform, token)
        if not wait:
            raise Busy(float(known.get("lease_until") or now))
        time.sleep(WAIT_POLL_SECONDS)
