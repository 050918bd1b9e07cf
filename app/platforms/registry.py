"""The platform registry. Each name in `PLATFORMS` (app/config.py) is a package under
app/platforms/ that declares its parts by file (docs/platforms.md): publisher.py's
`PUBLISHER`, oauth.py (browser sign-in), connect.py (credentials without a browser) and
fake*.py (the sandbox fake). Nothing else lists the platforms."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import httpx

from app.config import PLATFORMS
from app.platforms.base import Publisher
from app.platforms.errors import UnsupportedPlatform


def package(platform: str) -> ModuleType:
    return importlib.import_module(f"app.platforms.{platform}")


def module(platform: str, name: str) -> ModuleType | None:
    """The platform's module `name` (e.g. "oauth"), or None when the platform has none."""
    if platform not in PLATFORMS:
        return None
    try:
        return importlib.import_module(f"app.platforms.{platform}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"app.platforms.{platform}.{name}":
            raise
        return None


def fakes(platform: str) -> list[ModuleType]:
    """The platform's sandbox fake: fake.py first, then its other fake_*.py modules."""
    names = sorted(m.name for m in pkgutil.iter_modules(package(platform).__path__)
                   if m.name == "fake" or m.name.startswith("fake_"))
    return [importlib.import_module(f"app.platforms.{platform}.{n}") for n in names]


PUBLISHERS: dict[str, type[Publisher]] = {
    platform: importlib.import_module(f"app.platforms.{platform}.publisher").PUBLISHER
    for platform in PLATFORMS}


def display_name(platform: str) -> str:
    """The platform's name as people write it ("LinkedIn"); an unknown name as it is."""
    publisher = PUBLISHERS.get(platform)
    return publisher.name if publisher else platform


def get_publisher(platform: str, client: httpx.Client) -> Publisher:
    try:
        cls = PUBLISHERS[platform]
    except KeyError:
        raise UnsupportedPlatform(f"unknown platform {platform!r}") from None
    return cls(client)
