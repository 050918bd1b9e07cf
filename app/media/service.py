"""Media use cases: accept an upload (checked, measured, stored) and hand its bytes back."""

from __future__ import annotations

import hashlib
import io
import uuid

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.media.models import Media
from app.media.storage import store

MAX_BYTES = 64 * 1024 * 1024
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


def save_upload(sess: Session, workspace_id: uuid.UUID, filename: str, data: bytes, *,
                alt_text: str = "") -> Media:
    """Store an image; the type comes from its bytes, never from the name or the client."""
    if not data:
        raise ValidationFailed("the file is empty", field="file")
    if len(data) > MAX_BYTES:
        raise ValidationFailed(f"the file is larger than {MAX_BYTES // 2**20} MB", field="file")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationFailed("the file is not an image this server can read", field="file") from exc
    if kind not in IMAGE_TYPES:
        raise ValidationFailed(f"{kind} images are not supported; use JPEG, PNG, GIF or WebP",
                               field="file")
    media_id = uuid.uuid4()
    key = f"{workspace_id}/{media_id}"
    store().put(key, data)
    media = Media(id=media_id, workspace_id=workspace_id, filename=filename[:255],
                  content_type=IMAGE_TYPES[kind], size_bytes=len(data),
                  sha256=hashlib.sha256(data).hexdigest(), storage_key=key, width=width,
                  height=height, alt_text=alt_text, status="ready", progress=100)
    sess.add(media)
    sess.flush()
    return media


def read_bytes(storage_key: str) -> bytes:
    return store().get(storage_key)


def describe(media: Media) -> dict:
    """The media entry of a publish job's part."""
    return {"id": str(media.id), "content_type": media.content_type,
            "alt_text": media.alt_text or "", "storage_key": media.storage_key,
            "size_bytes": media.size_bytes, "width": media.width, "height": media.height}
