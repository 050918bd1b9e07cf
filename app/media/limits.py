"""What OpenPost takes at all, whatever the platform: bounds on decoding, read from headers first.

An image is refused over OPENPOST_MAX_IMAGE_PIXELS (50 megapixels) or MAX_IMAGE_FRAMES frames,
a video over MAX_VIDEO_SIDE pixels on a side or MAX_VIDEO_SECONDS long; the file's size is
bounded by OPENPOST_MAX_BODY_BYTES (and images by service.MAX_IMAGE_BYTES).
"""

from __future__ import annotations

from app import config

MAX_IMAGE_FRAMES = 1000
MAX_VIDEO_SIDE = 4096  # the largest frame any platform takes (TikTok 4096×4096)
MAX_VIDEO_SECONDS = 3600  # every platform's limit but Facebook's 4 hours (Mastodon: 1 hour)
# A video that must be converted is encoded at most this large: at 4096×4096 the encoder
# alone holds ~700 MB, at 1920 ~250 MB (`openpost bench media`). A file already fit for the
# platform is passed on as it is, at any size within MAX_VIDEO_SIDE.
MAX_ENCODE_SIDE = 1920


def pillow():
    """PIL.Image, its decompression-bomb guard set to our limit (a second line of defence)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = config.max_image_pixels()
    return Image


def header_image(data: bytes, fmt: str):
    """The image as its header describes it, no pixel decoded and no size check yet (so the
    refusal can name the size): Pillow's opener for `fmt`, without Image.open's bomb check."""
    import io

    image = pillow()
    image.init()
    return image.OPEN[fmt][0](io.BytesIO(data), "")


def image_problem(width: int, height: int, frames: int = 1) -> str | None:
    limit = config.max_image_pixels()
    if width * height > limit:
        return (f"the image is {width}×{height} pixels ({width * height / 1e6:.1f} megapixels); "
                f"OpenPost takes images up to {limit / 1e6:g} megapixels")
    if frames > MAX_IMAGE_FRAMES:
        return (f"the image has {frames} frames; OpenPost takes animations of up to "
                f"{MAX_IMAGE_FRAMES} frames")
    return None


def video_problem(width: int, height: int, seconds: float) -> str | None:
    if max(width, height) > MAX_VIDEO_SIDE:
        return (f"the video is {width}×{height} pixels; OpenPost takes videos up to "
                f"{MAX_VIDEO_SIDE} pixels on a side")
    if seconds > MAX_VIDEO_SECONDS:
        return (f"the video is {seconds:.0f} s long; OpenPost takes videos up to "
                f"{MAX_VIDEO_SECONDS} s ({MAX_VIDEO_SECONDS // 60} minutes)")
    return None
