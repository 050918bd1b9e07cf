"""Images made acceptable to each platform: format, size cap, EXIF (location) removed."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from app.platforms import images
from app.platforms.bluesky.publisher import BlueskyPublisher
from app.platforms.errors import MediaRejected
from app.platforms.threads.publisher import ThreadsPublisher
from app.platforms.x.publisher import XPublisher


def jpeg_with_location(size=(400, 300)) -> bytes:
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0x8825] = {2: (48.0, 51.0, 24.0)}  # GPS latitude
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_exif_is_stripped_even_when_the_file_fits():
    prepared = images.prepare(jpeg_with_location(), XPublisher.image_limits)
    out = Image.open(io.BytesIO(prepared.data))
    assert not out.getexif()
    assert prepared.content_type == "image/jpeg" and (prepared.width, prepared.height) == (400, 300)


def test_a_clean_image_that_fits_is_sent_unchanged():
    buffer = io.BytesIO()
    Image.new("RGB", (50, 50)).save(buffer, "PNG")
    assert images.prepare(buffer.getvalue(), XPublisher.image_limits).data == buffer.getvalue()


def test_webp_becomes_jpeg_where_webp_is_not_accepted():
    buffer = io.BytesIO()
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(buffer, "WEBP")
    prepared = images.prepare(buffer.getvalue(), ThreadsPublisher.image_limits)
    assert prepared.content_type == "image/jpeg"


def test_a_large_image_is_scaled_under_the_platforms_cap():
    noise = Image.frombytes("RGB", (2400, 1800), os.urandom(2400 * 1800 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    assert len(buffer.getvalue()) > 2_000_000
    prepared = images.prepare(buffer.getvalue(), BlueskyPublisher.image_limits)
    assert len(prepared.data) <= 2_000_000
    assert prepared.width / prepared.height == pytest.approx(4 / 3, rel=0.01)


def test_unreadable_bytes_are_a_media_error():
    with pytest.raises(MediaRejected):
        images.prepare(b"not an image", XPublisher.image_limits)
