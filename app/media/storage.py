"""Where media bytes live: the local filesystem (AES-GCM encrypted) or S3 (server-side encrypted).

OPENPOST_MEDIA_BACKEND=local (default, under instance/media) or s3 (OPENPOST_S3_BUCKET,
OPENPOST_S3_ENDPOINT_URL for S3-compatible servers, credentials the usual AWS way).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from app import config, crypto

_KEY = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


class Storage(Protocol):
    def put(self, workspace_id: str, key: str, data: bytes) -> None: ...

    def put_file(self, workspace_id: str, key: str, src: BinaryIO) -> None: ...

    def get(self, workspace_id: str, key: str) -> bytes: ...

    def delete(self, workspace_id: str, key: str) -> None: ...


def _check(workspace_id: str, key: str) -> None:
    if not _KEY.match(key) or not _KEY.match(str(workspace_id)):
        raise ValueError("storage keys are plain names")


def _aad(workspace_id: str, key: str) -> str:
    return f"{workspace_id}:media:{key}"


class LocalStorage:
    """Files under root/<workspace>/<key>, each encrypted and bound to its workspace and key.

    Each file's header names the key it is under (app.crypto); names starting with "." are
    files being written, never media."""

    app_encrypted = True

    def __init__(self, root: Path):
        self.root = root

    def _path(self, workspace_id: str, key: str) -> Path:
        _check(workspace_id, key)
        return self.root / str(workspace_id) / key

    def put(self, workspace_id: str, key: str, data: bytes) -> None:
        self.put_file(workspace_id, key, io.BytesIO(data))

    def put_file(self, workspace_id: str, key: str, src: BinaryIO) -> None:
        """Store what `src` holds from where it stands, encrypted chunk by chunk."""
        path = self._path(workspace_id, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own per write: two renditions of one file may be written at once.
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as f:
                crypto.encrypt_stream(src, f, _aad(workspace_id, key))
            os.replace(tmp, path)  # readers never see half a file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, workspace_id: str, key: str) -> bytes:
        return crypto.decrypt(self._path(workspace_id, key).read_bytes(),
                              _aad(workspace_id, key))

    def delete(self, workspace_id: str, key: str) -> None:
        self._path(workspace_id, key).unlink(missing_ok=True)

    def files(self) -> Iterator[tuple[str, str]]:
        """(workspace id, key) of every stored file, in a stable order."""
        if not self.root.is_dir():
            return
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for path in sorted(folder.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    yield folder.name, path.name

    def key_ids(self) -> Counter[bytes]:
        """How many stored files are under each encryption key (by id, from their headers)."""
        found = Counter()
        for workspace_id, key in self.files():
            try:
                with open(self._path(workspace_id, key), "rb") as f:
                    found[crypto.key_id(f.read(crypto.HEADER))] += 1
            except FileNotFoundError:
                continue  # deleted meanwhile
        return found

    def rekey(self, workspace_id: str, key: str) -> int:
        """Re-encrypt one file under the newest key, streaming, into a temporary file that then
        replaces it atomically; returns its size, or 0 when there was nothing to do. An
        interruption leaves the old file whole (its header still names the old key), so the
        next run does it again."""
        path = self._path(workspace_id, key)
        tmp = path.with_name(f".{key}.rekey")
        try:
            with open(path, "rb") as src:
                before = os.fstat(src.fileno())
                if crypto.key_id(src.read(crypto.HEADER)) == crypto.newest_key_id():
                    return 0
                src.seek(0)
                with open(tmp, "wb") as dst:
                    size = crypto.reencrypt(src, before.st_size, dst, _aad(workspace_id, key))
                    dst.flush()
                    os.fsync(dst.fileno())
            if _unchanged(path, before):  # deleted or rewritten meanwhile: that one stands
                os.replace(tmp, path)
                return size
            return 0
        finally:
            tmp.unlink(missing_ok=True)


def _unchanged(path: Path, before: os.stat_result) -> bool:
    try:
        now = path.stat()
    except FileNotFoundError:
        return False
    return (now.st_ino, now.st_mtime_ns, now.st_size) == (before.st_ino, before.st_mtime_ns,
                                                          before.st_size)


class S3Storage:
    """Objects at <workspace>/<key> in one bucket, stored with server-side encryption.

    The provider holds those keys: OPENPOST_ENCRYPTION_KEYS and their rotation do not
    touch S3 objects."""

    app_encrypted = False

    def __init__(self, bucket: str, endpoint_url: str | None = None, client=None):
        import boto3

        self.bucket = bucket
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)

    def put(self, workspace_id: str, key: str, data: bytes) -> None:
        _check(workspace_id, key)
        self.client.put_object(Bucket=self.bucket, Key=f"{workspace_id}/{key}", Body=data,
                               ServerSideEncryption="AES256")

    def put_file(self, workspace_id: str, key: str, src: BinaryIO) -> None:
        _check(workspace_id, key)
        self.client.upload_fileobj(src, self.bucket, f"{workspace_id}/{key}",
                                   ExtraArgs={"ServerSideEncryption": "AES256"})

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
        current = config.settings()
        if current.media_backend == "s3":
            if not current.s3_bucket:
                raise ValueError("OPENPOST_S3_BUCKET must be set when OPENPOST_MEDIA_BACKEND=s3")
            _storage = S3Storage(current.s3_bucket, current.s3_endpoint_url or None)
        else:
            _storage = LocalStorage(config.instance_path() / "media")
    return _storage


def use(backend: Storage | None) -> None:
    """Choose the backend explicitly (tests, or None to re-read the configuration)."""
    global _storage
    _storage = backend
