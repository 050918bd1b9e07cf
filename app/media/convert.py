"""Conversion to a platform's spec: images with Pillow, video with PyAV (FFmpeg in a wheel).

Convert when that meets the spec; refuse with the reason when nothing can (MediaUnfit).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from fractions import Fraction
from typing import BinaryIO

from app.media import limits
from app.media.sniff import Probe
from app.media.specs import ImageSpec, VideoSpec


class MediaUnfit(Exception):
    """No conversion can make this file acceptable to the platform; the message says why."""


def image_for(data: bytes, spec: ImageSpec, platform: str = "") -> tuple[bytes, str]:
    """(bytes, content type) of an image that fits `spec`: oriented, metadata stripped.

    Memory: at most two frames at full size (the pixel limit), then only resized copies."""
    from PIL import ImageOps

    image = limits.pillow()
    try:
        src = image.open(io.BytesIO(data))
    except image.DecompressionBombError as exc:  # stored before the limit was lowered
        raise MediaUnfit(f"the image is too large to convert ({exc})") from exc
    with src:
        problem = limits.image_problem(src.width, src.height)
        if problem:
            raise MediaUnfit(problem)
        fmt = src.format
        aspect = src.width / src.height
        if spec.min_aspect and aspect < spec.min_aspect - 0.005 or \
                spec.max_aspect and aspect > spec.max_aspect + 0.005:
            raise MediaUnfit(f"{platform or 'the platform'} takes images with an aspect ratio "
                             f"from {spec.min_aspect:.2f} to {spec.max_aspect:.2f} (width/height);"
                             f" this one is {aspect:.2f}")
        if getattr(src, "is_animated", False) and fmt == "GIF" and "GIF" in spec.formats \
                and len(data) <= (spec.max_gif_bytes or spec.max_bytes):
            return data, "image/gif"  # re-encoding would lose the animation
        img = ImageOps.exif_transpose(_shrunk(src, spec.max_side))  # turned upright
    keep = fmt if fmt in spec.formats and fmt != "GIF" else "JPEG"
    out = _encode(img, keep)
    if len(out) > spec.max_bytes and "JPEG" in spec.formats:
        keep, out = "JPEG", _shrink_jpeg(img, spec.max_bytes)
    if len(out) > spec.max_bytes:
        raise MediaUnfit(f"the image cannot be made smaller than {spec.max_bytes} bytes "
                         f"for {platform or 'the platform'}")
    return out, f"image/{keep.lower()}"


def _shrunk(src, side: int):
    """`src` within side×side (a JPEG decodes already scaled down). An image with alpha is
    resized premultiplied; that copy is made here and the decoded original let go at once,
    so no more than two full-size frames are ever held (Pillow's resize would hold three)."""
    from PIL import Image

    if max(src.size) <= side:
        return src
    src.draft(src.mode, (side, side))
    img, mode = src, src.mode
    if mode in ("RGBA", "LA"):
        img = src.convert(mode[:-1] + "a")
        src.close()
    img.thumbnail((side, side), Image.Resampling.LANCZOS)
    return img.convert(mode) if img.mode != mode else img


def _encode(img, fmt: str, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.convert("RGB").save(buf, "JPEG", quality=quality, optimize=True)
    else:
        img.save(buf, fmt)  # no exif= argument: metadata is dropped
    return buf.getvalue()


def _shrink_jpeg(img, max_bytes: int) -> bytes:
    from PIL import Image

    for quality in (85, 75, 65):
        out = _encode(img, "JPEG", quality)
        if len(out) <= max_bytes:
            return out
    while max(img.size) > 320:
        img = img.resize((int(img.width * 0.8), int(img.height * 0.8)),
                         Image.Resampling.LANCZOS)
        out = _encode(img, "JPEG", 70)
        if len(out) <= max_bytes:
            return out
    return out


def video_problems(probe: Probe, spec: VideoSpec, platform: str = "") -> list[str]:
    """Reasons no conversion can fix (too long, too short, too few fps, extreme aspect)."""
    name = platform or "the platform"
    seconds = (probe.duration_ms or 0) / 1000
    problems = []
    if seconds > spec.max_seconds:
        problems.append(f"the video is {seconds:.0f} s long; {name} takes at most "
                        f"{spec.max_seconds:.0f} s")
    if seconds < spec.min_seconds:
        problems.append(f"the video is {seconds:.1f} s long; {name} needs at least "
                        f"{spec.min_seconds:g} s")
    if spec.min_fps and probe.fps and probe.fps < spec.min_fps - 0.5:
        problems.append(f"the video has {probe.fps:.0f} fps; {name} needs at least "
                        f"{spec.min_fps:.0f}")
    aspect = probe.width / probe.height if probe.height else 0
    if spec.min_aspect and aspect < spec.min_aspect or spec.max_aspect and aspect > spec.max_aspect:
        problems.append(f"the video's aspect ratio {aspect:.2f} is outside {name}'s "
                        f"{spec.min_aspect:.2f}–{spec.max_aspect:.2f}")
    return problems


def video_needs_transcode(probe: Probe, spec: VideoSpec, size: int) -> bool:
    return (probe.content_type != "video/mp4" or probe.video_codec != "h264"
            or probe.audio_codec not in (None, "aac") or probe.width > spec.max_width
            or probe.height > spec.max_height or (probe.fps or 0) > spec.max_fps + 0.5
            or size > spec.max_bytes)


def video_for(data: bytes, probe: Probe, spec: VideoSpec, platform: str = "",
              progress: Callable[[float], None] | None = None) -> bytes:
    """MP4 (H.264 High, yuv420p, AAC) meeting `spec`, or MediaUnfit with the reasons."""
    with tempfile.TemporaryFile() as out:
        if not video_into(data, probe, spec, platform, progress, out):
            return data
        out.seek(0)
        return out.read()


def video_into(data: bytes, probe: Probe, spec: VideoSpec, platform: str,
               progress: Callable[[float], None] | None, out: BinaryIO) -> bool:
    """Write the MP4 `video_for` makes into the seekable file `out` (so it is never held in
    memory); False, writing nothing, when `data` meets the spec as it is."""
    problems = video_problems(probe, spec, platform)
    if problems:
        raise MediaUnfit("; ".join(problems))
    if not video_needs_transcode(probe, spec, len(data)):
        return False
    transcode(data, probe, spec, progress, out)
    size = out.seek(0, io.SEEK_END)  # the muxer may have left it anywhere
    if size > spec.max_bytes:
        raise MediaUnfit(f"the video is still {size} bytes after conversion; "
                         f"{platform or 'the platform'} takes at most {spec.max_bytes}")
    return True


def _fit(width: int, height: int, max_w: int, max_h: int) -> tuple[int, int]:
    scale = min(1.0, max_w / width, max_h / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def transcode(data: bytes, probe: Probe, spec: VideoSpec,
              progress: Callable[[float], None] | None, out: BinaryIO) -> None:
    import av

    side = limits.MAX_ENCODE_SIDE  # the encoder's memory grows with its frame size
    width, height = _fit(probe.width, probe.height, min(spec.max_width, side),
                         min(spec.max_height, side))
    fps = min(probe.fps or 30, spec.max_fps)
    rate = Fraction(fps).limit_denominator(1001)
    total = max((probe.duration_ms or 1) / 1000, 0.001)
    with av.open(io.BytesIO(data)) as src, av.open(out, "w", format="mp4") as dst:
        vin = src.streams.video[0]
        ain = src.streams.audio[0] if src.streams.audio else None
        vout = dst.add_stream("libx264", rate=rate, options={"crf": "23", "preset": "veryfast",
                                                             "profile": "high"})
        vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
        aout = dst.add_stream("aac", rate=48000) if ain else None
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000) if ain else None
        next_at, step, index = 0.0, 1 / fps, 0
        for packet in src.demux(*(s for s in (vin, ain) if s)):
            for frame in packet.decode():
                if packet.stream is vin:
                    t = float(frame.pts * frame.time_base) if frame.pts is not None else next_at
                    if t + 1e-6 < next_at:
                        continue  # dropping frames to lower the frame rate
                    next_at = t + step
                    picture = frame.reformat(width=width, height=height, format="yuv420p")
                    picture.pts, picture.time_base = index, Fraction(1) / rate
                    index += 1
                    dst.mux(vout.encode(picture))
                    if out.tell() > spec.max_bytes:  # too big already: stop, don't finish
                        raise MediaUnfit(f"the video grows past {spec.max_bytes} bytes when "
                                         "converted")
                    if progress and index % 30 == 0:
                        progress(min(t / total, 0.99))
                else:
                    for chunk in resampler.resample(frame):
                        chunk.pts = None
                        dst.mux(aout.encode(chunk))
        dst.mux(vout.encode(None))
        if aout:
            dst.mux(aout.encode(None))
    if progress:
        progress(1.0)
