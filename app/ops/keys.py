"""Key rotation: re-encrypt every secret at rest and every stored media file with the newest
OPENPOST_ENCRYPTION_KEYS key, and say what is still on an older one."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import crypto
from app.channels.models import Channel
from app.media.storage import storage
from app.webhooks.models import WebhookEndpoint

log = logging.getLogger(__name__)

# (label, model, encrypted column); each model's _aad() names the owner and field.
ENCRYPTED = (
    ("channels", Channel, "credentials_enc"),
    ("webhook_endpoints", WebhookEndpoint, "secrets_enc"),
)
BATCH = 200


MEDIA = "media_files"
# (files looked at, files in all, files re-encrypted, bytes re-encrypted)
Progress = Callable[[int, int, int, int], None]


class RotationFailed(Exception):
    """A secret could not be decrypted with any configured key."""


def _keep_key(what: str, exc: Exception) -> RotationFailed:
    return RotationFailed(f"{what}: {exc}; keep the key that encrypted it in "
                          "OPENPOST_ENCRYPTION_KEYS until rotation succeeds")


def rotate(sess: Session, progress: Progress | None = None) -> dict[str, int]:
    """Re-encrypt what an older key encrypted; returns how many rows each table changed, how
    many media files were re-encrypted and their bytes (`media_bytes`).

    Works in batches of row-locked rows, each batch its own transaction, and file by file
    (each replaced atomically), so it can run while the app serves and can be re-run after
    an interruption: rows and files already on the newest key are skipped.
    """
    counts = {}
    for label, model, column in ENCRYPTED:
        counts[label] = _rotate_table(sess, label, model, column)
    counts[MEDIA], counts["media_bytes"] = rotate_media(progress)
    return counts


def media_encrypted_here() -> bool:
    """Whether media files are under OPENPOST_ENCRYPTION_KEYS (local storage), rather than
    encrypted by an S3 provider with keys of its own."""
    return getattr(storage(), "app_encrypted", False)


def rotate_media(progress: Progress | None = None) -> tuple[int, int]:
    """(files, bytes) re-encrypted, one file at a time, streaming."""
    if not media_encrypted_here():
        return 0, 0
    backend = storage()
    files = list(backend.files())
    done = size = 0
    for seen, (workspace_id, key) in enumerate(files, 1):
        try:
            written = backend.rekey(workspace_id, key)
        except FileNotFoundError:
            written = 0  # deleted meanwhile
        except crypto.DecryptionFailed as exc:
            raise _keep_key(f"media file {workspace_id}/{key}", exc) from exc
        done, size = done + bool(written), size + written
        if progress:
            progress(seen, len(files), done, size)
    return done, size


def _rotate_table(sess: Session, label: str, model, column: str) -> int:
    changed, last_id = 0, None
    col = getattr(model, column)
    while True:
        query = sa.select(model).where(col.isnot(None)).order_by(model.id).limit(BATCH)
        if last_id is not None:
            query = query.where(model.id > last_id)
        rows = list(sess.scalars(query.with_for_update(skip_locked=False)))
        if not rows:
            return changed
        for row in rows:
            changed += _rotate_row(label, row, column)
        last_id = rows[-1].id
        sess.commit()


def _rotate_row(label: str, row, column: str) -> int:
    blob = getattr(row, column)
    if not crypto.needs_rotation(blob):
        return 0
    try:
        plain = crypto.decrypt(blob, row._aad())
    except crypto.DecryptionFailed as exc:
        raise _keep_key(f"{label} {row.id}", exc) from exc
    setattr(row, column, crypto.encrypt(plain, row._aad()))
    return 1


def leftovers(sess: Session) -> dict[str, dict[str, int]]:
    """What is still on an older key: per kind (each table, media files), how many on which
    key, named by position and id (app.crypto.key_label), never the key itself."""
    newest = crypto.newest_key_id()
    out = {}
    for label, model, column in ENCRYPTED:
        kid = sa.func.substring(getattr(model, column), 2, 4)
        rows = sess.execute(sa.select(kid, sa.func.count()).where(
            getattr(model, column).isnot(None)).group_by(kid))
        out[label] = Counter({bytes(k): n for k, n in rows})
    out[MEDIA] = storage().key_ids() if media_encrypted_here() else Counter()
    return {kind: {crypto.key_label(k): n for k, n in found.items() if k != newest}
            for kind, found in out.items()}


def pending(sess: Session) -> dict[str, int]:
    """How many rows per table, and media files, are still encrypted with an older key."""
    return {kind: sum(by_key.values()) for kind, by_key in leftovers(sess).items()}


def describe(left: dict[str, dict[str, int]]) -> list[str]:
    """One line per kind and key of what is still on an older key (nothing: no lines)."""
    return [f"{n} {kind.replace('_', ' ')} on {label}"
            for kind, by_key in left.items() for label, n in by_key.items()]
