"""Where media bytes live: the local filesystem (AES-GCM encrypted) or S3 (server-side encrypted).

OPENPOST_MEDIA_BACKEND=local (default, under instance/media) or s3 (OPENPOST_S3_BUCKET,
OPENPOST_S3_ENDPOINT_URL for S3-compatible servers, credentials the usual AWS way).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

from app import config, crypto

_KEY = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


class Storage(Protocol):
    def put(self, workspace_id: str, key: str, data: bytes) -> None: ...

    def get(self, workspace_id: str, key: str) -> bytes: ...

    def delete(self, workspace_id: str, key: str) -> None: ...


def _check(workspace_id: str, key: str) -> None:
    if not _KEY.match(key) or not _KEY.match(str(workspace_id)):
        raise ValueError("storage keys are plain names")


class LocalStorage:
    """Files under root/<workspace>/<key>, each encrypted and bound to its workspace and key."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, workspace_id: str, key: str) -> Path:
        _check(workspace_id, key)
        return self.root / str(workspace_id) / key

    def put(self, workspace_id: str, key: str, data: bytes) -> None:
        path = self._path(workspace_id, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(crypto.encrypt(data, f"{workspace_id}:media:{key}"))
        os.replace(tmp, path)  # readers never see half a file

    def get(self, workspace_id: str, key: str) -> bytes:
        return crypto.decrypt(self._path(workspace_id, key).read_bytes(),
                              f"{workspace_id}:media:{key}")

    def delete(self, workspace_id: str, key: str) -> None:
        self._path(workspace_id, key).unlink(missing_ok=True)


class S3Storage:
    """Objects at <workspace>/<key> in one bucket, stored with server-side encryption."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, client=None):
        import boto3

        self.bucket = bucket
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)

    def put(self, workspace_id: str, key: str, data: bytes) -> None:
        _check(workspace_id, key)
        self.client.put_object(Bucket=self.bucket, Key=f"{workspace_id}/{key}", Body=data,
                               ServerSideEncryption="AES256")

    def get(self, workspace_id: str, key: str) -> bytes:
        _check(workspace_id, key)
        return self.client.get_object(Bucket=self.bucket,
                                      Key=f"{workspace_id}/{key}")["Body"].read()

    def delete(self, workspace_id: str, key: str) -> None:
        _check(workspace_id, key)
        self.client.delete_object(Bucket=self.bucket, Key=f"{workspace_id}/{key}")


_storage: Storage | None = None


def storage() -> Storage:
    global _storage
    if _storage is None:
        if os.environ.get("OPENPOST_MEDIA_BACKEND", "local") == "s3":
            _storage = S3Storage(os.environ["OPENPOST_S3_BUCKET"],
                                 os.environ.get("OPENPOST_S3_ENDPOINT_URL") or None)
        else:
            _storage = LocalStorage(config.instance_path() / "media")
    return _storage


def use(backend: Storage | None) -> None:
    """Choose the backend explicitly (tests, or None to re-read the configuration)."""
    global _storage
    _storage = backend
