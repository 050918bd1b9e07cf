"""Schedule-time media checks for thread posts: images as before, plus video on the platforms
whose publishers upload it (X chunked, Bluesky as a blob, Threads by URL, also in carousels,
Mastodon as one attachment alone)."""

from __future__ import annotations

from app.errors import ValidationFailed
from app.media import convert, sniff, specs
from app.platforms import images
from app.platforms.media_io import is_video

VIDEO_PLATFORMS = ("x", "bluesky", "threads", "mastodon")


def check(name: str, platform: str, limits: images.ImageLimits, media: list[dict],
          where: str) -> None:
    videos = [m for m in media if is_video(m)]
    if not videos or platform not in VIDEO_PLATFORMS:
        return images.check(name, limits, media, where)
    if platform not in specs.MIXED_CAROUSELS and len(media) > 1:
        raise ValidationFailed(f"{where}: {name} takes one video alone", field="media_ids")
    if len(media) > limits.max_count:
        raise ValidationFailed(f"{where} has {len(media)} items; {name} allows "
                               f"{limits.max_count}", field="media_ids")
    images.check(name, limits, [m for m in media if not is_video(m)], where)
    for item in videos:
        alt = item.get("alt_text") or ""
        if limits.max_alt and len(alt) > limits.max_alt:
            raise ValidationFailed(f"{where}: alt text is {len(alt)}/{limits.max_alt} characters "
                                   f"on {name}", field="media_ids")
        probe = sniff.Probe(item["content_type"], "video", item.get("width") or 0,
                            item.get("height") or 1, duration_ms=item.get("duration_ms"))
        problems = convert.video_problems(probe, specs.VIDEOS[platform], name)
        if problems:
            raise ValidationFailed(f"{where}: " + "; ".join(problems), field="media_ids")
    return None
