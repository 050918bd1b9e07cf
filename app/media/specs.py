"""What each platform accepts, for images and video; conversion aims at these. Each platform
declares its own in its package (app/platforms/<name>/rules.py: `IMAGE`, `VIDEO`,
`IMAGE_RENDITIONS`, `MIXED_CAROUSEL`); the tables here gather them by platform."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from app.config import PLATFORMS

MB = 1024 * 1024
T = TypeVar("T")


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


class _ByPlatform(Mapping[str, T]):
    """{platform: what its rules.py declares as `name`}, for the platforms that declare one
    (read when asked, so the packages may import the spec classes from here)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getitem__(self, platform: str) -> T:
        value = _declared(platform, self.name, None)
        if value is None:
            raise KeyError(platform)
        return value

    def __iter__(self) -> Iterator[str]:
        return (p for p in PLATFORMS if _declared(p, self.name, None) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Platforms(Collection[str]):
    """The platforms whose rules.py sets the flag `name`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __contains__(self, platform: object) -> bool:
        return isinstance(platform, str) and bool(_declared(platform, self.name, False))

    def __iter__(self) -> Iterator[str]:
        return (p for p in PLATFORMS if p in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _declared(platform: str, name: str, default: Any) -> Any:
    from app.platforms import registry

    rules = registry.module(platform, "rules")
    return getattr(rules, name, default) if rules else default


IMAGES: Mapping[str, ImageSpec] = _ByPlatform("IMAGE")
VIDEOS: Mapping[str, VideoSpec] = _ByPlatform("VIDEO")
# Platforms whose publishers take images as stored renditions (rules.py sets
# IMAGE_RENDITIONS = True); the others re-encode an image while publishing, which takes no
# time worth showing.
IMAGE_RENDITIONS: Collection[str] = _Platforms("IMAGE_RENDITIONS")
# Carousels that may mix images and videos, counted together against max_count (rules.py sets
# MIXED_CAROUSEL = True).
MIXED_CAROUSELS: Collection[str] = _Platforms("MIXED_CAROUSEL")
