"""Images made acceptable to a platform: allowed format, size cap, EXIF stripped (Pillow)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import ValidationFailed
from app.media.specs import ImageSpec
from app.platforms.errors import MediaRejected

MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


@dataclass(frozen=True)
class ImageLimits:
    max_count: int
    max_bytes: int
    formats: tuple[str, ...]  # Pillow format names the platform accepts
    max_alt: int | None = None
    # Animated GIFs may have their own, larger cap (X: 15 MB against 5 MB for images).
    max_gif_bytes: int | None = None


def limits_of(spec: ImageSpec, max_alt: int | None = None) -> ImageLimits:
    """What publishing checks and prepares, from the image spec the platform's rules.py
    declares, and the alt text length it takes."""
    return ImageLimits(spec.max_count, spec.max_bytes, spec.formats, max_alt, spec.max_gif_bytes)


@dataclass
class Prepared:
    data: bytes
    content_type: str
    width: int
    height: int


def check(platform: str, limits: ImageLimits, media: list[dict], where: str) -> None:
    """Refuse at schedule time what no conversion can fix (count, kind, alt text)."""
    if len(media) > limits.max_count:
        raise ValidationFailed(f"{where} has {len(media)} images; {platform} allows "
                               f"{limits.max_count}", field="media_ids")
    for item in media:
        if not str(item.get("content_type", "")).startswith("image/"):
            raise ValidationFailed(f"{where}: only images can be published to {platform} for now "
                                   f"({item.get('content_type')})", field="media_ids")
        alt = item.get("alt_text") or ""
        if limits.max_alt and len(alt) > limits.max_alt:
            raise ValidationFailed(f"{where}: alt text is {len(alt)}/{limits.max_alt} characters "
                                   f"on {platform}", field="media_ids")


def prepare(data: bytes, limits: ImageLimits) -> Prepared:
    """The bytes to upload: the original when it already fits, else a re-encoded copy."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise MediaRejected("an image could not be read") from exc
    animated = getattr(image, "is_animated", False)
    clean = image.format in limits.formats and len(data) <= limits.max_bytes \
        and not image.getexif() and "exif" not in image.info
    gif_cap = limits.max_gif_bytes if image.format == "GIF" and limits.max_gif_bytes \
        else limits.max_bytes
    if clean or (animated and image.format in limits.formats and len(data) <= gif_cap):
        return Prepared(data, MIME[image.format], *image.size)
    return _reencode(ImageOps.exif_transpose(image), limits)


def _reencode(image: Image.Image, limits: ImageLimits) -> Prepared:
    """JPEG (or PNG where JPEG is not allowed), scaled down until it fits; no metadata kept."""
    kind = "JPEG" if "JPEG" in limits.formats else limits.formats[0]
    if kind == "JPEG" and image.mode != "RGB":
        image = image.convert("RGB")
    scale, quality = 1.0, 90
    for _ in range(12):
        size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        frame = image if scale == 1.0 else image.resize(size, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        frame.save(out, kind, **({"quality": quality, "optimize": True} if kind == "JPEG" else {}))
        if out.tell() <= limits.max_bytes:
            return Prepared(out.getvalue(), MIME[kind], *frame.size)
        quality, scale = max(60, quality - 10), scale * 0.8
    raise MediaRejected(f"an image could not be made smaller than {limits.max_bytes} bytes")
