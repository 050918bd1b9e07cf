"""What each platform accepts, for images and video (PLATFORMS.md); conversion aims at these."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class ImageSpec:
    formats: tuple[str, ...]  # Pillow format names the platform takes as they are
    max_bytes: int
    max_side: int = 4096
    min_aspect: float | None = None  # width / height
    max_aspect: float | None = None
    max_count: int = 4
    max_gif_bytes: int | None = None  # animated GIFs, where the platform caps them apart


@dataclass(frozen=True)
class VideoSpec:
    max_bytes: int
    min_seconds: float
    max_seconds: float
    max_width: int
    max_height: int
    max_fps: float = 60
    min_fps: float | None = None
    min_aspect: float | None = None
    max_aspect: float | None = None


IMAGES = {
    # https://docs.x.com/x-api/media (Media types & size restrictions: Image 5 MB, GIF 15 MB)
    "x": ImageSpec(("JPEG", "PNG", "WEBP", "GIF"), 5 * MB, max_count=4, max_gif_bytes=15 * MB),
    "bluesky": ImageSpec(("JPEG", "PNG", "WEBP"), 2_000_000, max_side=2000, max_count=4),
    "mastodon": ImageSpec(("JPEG", "PNG", "WEBP", "GIF"), 16 * MB, max_count=4),
    "threads": ImageSpec(("JPEG", "PNG"), 8 * MB, max_count=20),
    "instagram": ImageSpec(("JPEG",), 8 * MB, max_side=1440, min_aspect=4 / 5,
                           max_aspect=1.91, max_count=10),
    "facebook": ImageSpec(("JPEG", "PNG"), 10 * MB, max_count=10),
    "linkedin": ImageSpec(("JPEG", "PNG", "GIF"), 10 * MB, max_count=20),
    "tiktok": ImageSpec(("JPEG", "WEBP"), 20 * MB, max_side=1920, max_count=35),
}

# Platforms whose publishers take images as stored renditions; the others (X, Bluesky,
# Mastodon) re-encode an image while publishing, which takes no time worth showing.
IMAGE_RENDITIONS = ("threads", "instagram", "facebook", "linkedin", "tiktok")

# Carousels that may mix images and videos (counted together against max_count).
MIXED_CAROUSELS = ("instagram", "threads")

VIDEOS = {
    "x": VideoSpec(512 * MB, 0.5, 140, 1280, 1024, max_fps=60, min_aspect=1 / 3, max_aspect=3),
    # app.bsky.embed.video: "May be up to 300mb, formerly limited to 100mb" (maxSize 300000000)
    # https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/embed/video.json
    "bluesky": VideoSpec(300_000_000, 0.1, 180, 1920, 1920),
    "mastodon": VideoSpec(99 * MB, 0.1, 3600, 3840, 2160, max_fps=120),
    "threads": VideoSpec(1024 * MB, 0.1, 300, 1920, 1920, max_fps=60, min_fps=23),
    "instagram": VideoSpec(300 * MB, 3, 900, 1920, 1920, max_fps=60, min_fps=23,
                           min_aspect=0.01, max_aspect=10),
    "facebook": VideoSpec(1024 * MB, 1, 14400, 1920, 1920),
    "linkedin": VideoSpec(500 * MB, 3, 1800, 4096, 2304),
    "tiktok": VideoSpec(1024 * MB, 1, 600, 4096, 4096, max_fps=60, min_fps=23),
}
