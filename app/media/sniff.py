"""What an uploaded file really is, read from its bytes (never its name), and whether it is whole."""

from __future__ import annotations

import io
from dataclasses import dataclass

import filetype

from app.errors import ValidationFailed
from app.media import limits

# Pillow's format for each image type taken (TIFF, BMP, HEIC... are refused as unsupported).
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF",
               "image/webp": "WEBP"}
VIDEO_TYPES = {"video/mp4", "video/quicktime", "video/webm"}


@dataclass
class Probe:
    content_type: str
    kind: str  # "image" | "video"
    width: int
    height: int
    duration_ms: int | None = None
    fps: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None


def probe(data: bytes) -> Probe:
    """Identify and fully decode-check the file, or raise ValidationFailed saying why."""
    if not data:
        raise ValidationFailed("the file is empty", field="file")
    guess = filetype.guess(data[:8192])
    mime = guess.mime if guess else None
    if mime in IMAGE_TYPES:
        return _probe_image(data, mime)
    if mime in VIDEO_TYPES or mime == "video/x-m4v":
        return _probe_video(data, "video/mp4" if mime == "video/x-m4v" else mime)
    raise ValidationFailed(f"unsupported file type {mime or 'unknown'}: upload JPEG, PNG, GIF, "
                           "WebP images or MP4, MOV, WebM videos", field="file")


def _probe_image(data: bytes, mime: str) -> Probe:
    """Size and frame count from the header first; only an image within the limits is
    decoded (every pixel of its first frame: a truncated file fails there)."""
    image = limits.pillow()
    try:
        with limits.header_image(data, IMAGE_TYPES[mime]) as img:
            problem = limits.image_problem(img.width, img.height, getattr(img, "n_frames", 1))
            if problem:
                raise ValidationFailed(problem, field="file")
            img.load()
            return Probe(mime, "image", img.width, img.height)
    except image.DecompressionBombError as exc:
        raise ValidationFailed(f"the image is too large to decode ({exc})", field="file") from exc
    except (OSError, image.UnidentifiedImageError, SyntaxError, ValueError) as exc:
        raise ValidationFailed(f"the image is damaged or truncated ({exc})", field="file") from exc


def _probe_video(data: bytes, mime: str) -> Probe:
    """Tracks, frame size and duration from the container; refused over the limits before
    any frame is decoded; then every packet read (not decoded) and the first one decoded."""
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            video, found = _tracks(container, mime)
            _within_limits(found, found.duration_ms / 1000)
            declared, packets, end_s = video.frames, 0, 0.0
            for packet in container.demux(video):
                if packet.size:
                    packets += 1
                    if packet.pts is not None and packet.time_base is not None:
                        end_s = max(end_s, float((packet.pts + (packet.duration or 0))
                                                 * packet.time_base))
                    if packets == 1:
                        packet.decode()  # the codec must actually read it
    except av.FFmpegError as exc:
        raise ValidationFailed(f"the video is damaged or truncated ({exc})", field="file") from exc
    if packets == 0:
        raise ValidationFailed("the video has no frames it can decode", field="file")
    if declared and packets < declared:
        raise ValidationFailed(f"the video is truncated: {packets} of {declared} frames present",
                               field="file")
    _within_limits(found, end_s)  # a container may understate its duration
    return found


def _tracks(container, mime: str):
    """(the picture stream, what the container says about the video)."""
    video = next((s for s in container.streams if s.type == "video"), None)
    if video is None:
        raise ValidationFailed("the video has no picture track", field="file")
    audio = next((s for s in container.streams if s.type == "audio"), None)
    if video.codec_context is None or (audio is not None and audio.codec_context is None):
        raise ValidationFailed("the video is damaged or truncated (a track cannot be read)",
                               field="file")
    rate = video.average_rate or video.guessed_rate
    return video, Probe(mime, "video", video.codec_context.width, video.codec_context.height,
                        duration_ms=int(_duration_s(container, video) * 1000),
                        fps=float(rate) if rate else None, video_codec=video.codec_context.name,
                        audio_codec=audio.codec_context.name if audio else None)


def _within_limits(found: Probe, seconds: float) -> None:
    problem = limits.video_problem(found.width, found.height, seconds)
    if problem:
        raise ValidationFailed(problem, field="file")


def _duration_s(container, video) -> float:
    if video.duration is not None and video.time_base is not None:
        return float(video.duration * video.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0
