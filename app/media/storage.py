"""Where media bytes live: a local-filesystem store under instance/media/<workspace>/<id>,
encrypted at rest and bound to their owner."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from app import config, crypto


class MediaStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalStore:
    """Files under a root directory; a key is "<workspace id>/<media id>"."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or config.instance_path() / "media"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("media key escapes the media directory")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(crypto.encrypt(data, f"media:{key}"))
        os.replace(tmp, path)

    def get(self, key: str) -> bytes:
        return crypto.decrypt(self._path(key).read_bytes(), f"media:{key}")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def store() -> MediaStore:
    return LocalStore()
