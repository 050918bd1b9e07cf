"""Per-platform renditions of a media file, converted once, stored, and reported with progress."""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from app.media import convert, sniff, specs
from app.media.models import Media
from app.media.service import original_bytes
from app.media.storage import storage


def _set_state(sessions: Callable[[], Session], media_id, platform: str, state: dict) -> None:
    """Record a rendition's state in its own short transaction, visible to the API at once."""
    with sessions() as sess:
        sess.execute(sa.update(Media).where(Media.id == media_id).values(
            renditions=Media.renditions.op("||")(sa.bindparam("r", {platform: state},
                                                               type_=JSONB))))
        sess.commit()


def rendition(sessions: Callable[[], Session], media: Media, platform: str
              ) -> tuple[bytes, str]:
    """(bytes, content type) of `media` as `platform` takes it; converts and stores it once.

    Raises convert.MediaUnfit with the reason when nothing can make it acceptable.
    """
    known = (media.renditions or {}).get(platform) or {}
    if known.get("status") == "ready":
        return storage().get(str(media.workspace_id), known["key"]), known["content_type"]
    data = original_bytes(media)
    key = f"{media.id}.{platform}"
    last = [0.0]

    def progress(fraction: float) -> None:
        if time.monotonic() - last[0] >= 1:
            last[0] = time.monotonic()
            _set_state(sessions, media.id, platform,
                       {"status": "processing", "progress": int(fraction * 100)})

    try:
        if media.content_type.startswith("image/"):
            out, content_type = convert.image_for(data, specs.IMAGES[platform], platform)
        else:
            probe = sniff.probe(data)
            out = convert.video_for(data, probe, specs.VIDEOS[platform], platform, progress)
            content_type = "video/mp4" if out is not data else media.content_type
    except convert.MediaUnfit as exc:
        _set_state(sessions, media.id, platform, {"status": "failed", "error": str(exc)})
        raise
    storage().put(str(media.workspace_id), key, out)
    _set_state(sessions, media.id, platform, {"status": "ready", "progress": 100, "key": key,
                                              "content_type": content_type, "size": len(out)})
    return out, content_type
