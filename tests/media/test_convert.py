"""Conversion to each platform's spec: resize, re-encode, strip metadata, transcode or refuse."""

import io

import pytest
from PIL import Image

from app.media import convert, sniff, specs
from tests.media.conftest import jpeg, video


def test_too_large_image_is_resized_and_compressed_for_bluesky():
    big = jpeg(4000, 3000, noise=True)
    assert len(big) > specs.IMAGES["bluesky"].max_bytes
    out, content_type = convert.image_for(big, specs.IMAGES["bluesky"], "bluesky")
    assert content_type == "image/jpeg" and len(out) <= 2_000_000
    with Image.open(io.BytesIO(out)) as img:
        assert max(img.size) <= 2000
        assert abs(img.width / img.height - 4 / 3) < 0.01


def test_exif_is_stripped():
    original = jpeg(400, 300, exif_gps=True)
    with Image.open(io.BytesIO(original)) as img:
        assert img.getexif()  # the fixture really carries metadata
    out, _ = convert.image_for(original, specs.IMAGES["mastodon"], "mastodon")
    with Image.open(io.BytesIO(out)) as img:
        assert not img.getexif()
    assert b"SpyCam" not in out


def test_png_becomes_jpeg_where_only_jpeg_is_taken():
    png = jpeg(1080, 1080, fmt="PNG")
    out, content_type = convert.image_for(png, specs.IMAGES["instagram"], "instagram")
    assert content_type == "image/jpeg" and out[:3] == b"\xff\xd8\xff"


def test_instagram_refuses_a_panorama_with_the_reason():
    with pytest.raises(convert.MediaUnfit, match="aspect ratio from 0.80 to 1.91"):
        convert.image_for(jpeg(3000, 1000), specs.IMAGES["instagram"], "instagram")


def test_wrong_codec_video_is_transcoded_to_h264_aac_mp4():
    source = video(seconds=1, codec="mpeg4", audio=True, size=(320, 240))
    probe = sniff.probe(source)
    assert probe.video_codec == "mpeg4"
    seen = []
    out = convert.video_for(source, probe, specs.VIDEOS["x"], "x", progress=seen.append)
    result = sniff.probe(out)
    assert (result.content_type, result.video_codec, result.audio_codec) == \
        ("video/mp4", "h264", "aac")
    assert (result.width, result.height) == (320, 240)
    assert abs(result.duration_ms - 1000) <= 100
    assert seen[-1] == 1.0


def test_oversized_frame_and_rate_are_brought_within_the_spec():
    source = video(seconds=1, fps=50, size=(1600, 1200), codec="libx264")
    spec = specs.VideoSpec(10 * 2**20, 0.5, 140, 1280, 1024, max_fps=25)
    result = sniff.probe(convert.video_for(source, sniff.probe(source), spec, "x"))
    assert result.width <= 1280 and result.height <= 1024
    assert result.fps <= 25.5


def test_too_long_video_is_refused_with_the_reason():
    source = video(seconds=150, fps=1, size=(64, 48))
    with pytest.raises(convert.MediaUnfit, match="150 s long; x takes at most 140 s"):
        convert.video_for(source, sniff.probe(source), specs.VIDEOS["x"], "x")


def test_compliant_video_is_passed_through_untouched():
    source = video(seconds=1, codec="libx264", size=(320, 240))
    assert convert.video_for(source, sniff.probe(source), specs.VIDEOS["mastodon"]) is source
