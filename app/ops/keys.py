"""Key rotation: re-encrypt every secret at rest with the newest OPENPOST_ENCRYPTION_KEYS key."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import crypto
from app.channels.models import Channel
from app.webhooks.models import WebhookEndpoint

log = logging.getLogger(__name__)

# (label, model, encrypted column); each model's _aad() names the owner and field.
ENCRYPTED = (
    ("channels", Channel, "credentials_enc"),
    ("webhook_endpoints", WebhookEndpoint, "secrets_enc"),
)
BATCH = 200


class RotationFailed(Exception):
    """A secret could not be decrypted with any configured key."""


def rotate(sess: Session) -> dict[str, int]:
    """Re-encrypt what an older key encrypted; returns how many rows each table changed.

    Works in batches of row-locked rows, each batch its own transaction, so it can run while
    the app serves and can be re-run after an interruption: rows already on the newest key
    are skipped.
    """
    counts = {}
    for label, model, column in ENCRYPTED:
        counts[label] = _rotate_table(sess, label, model, column)
    return counts


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
        raise RotationFailed(f"{label} {row.id}: {exc}; keep the key that encrypted it in "
                             "OPENPOST_ENCRYPTION_KEYS until rotation succeeds") from exc
    setattr(row, column, crypto.encrypt(plain, row._aad()))
    return 1


def pending(sess: Session) -> dict[str, int]:
    """How many rows per table are still encrypted with an older key."""
    out = {}
    for label, model, column in ENCRYPTED:
        blobs = sess.scalars(sa.select(getattr(model, column)).where(
            getattr(model, column).isnot(None)))
        out[label] = sum(1 for blob in blobs if crypto.needs_rotation(blob))
    return out
