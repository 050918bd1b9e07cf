"""Idempotency-Key for POST requests: a retry gets the first answer, never a second resource.

The key is claimed by inserting its row (ON CONFLICT DO NOTHING) in the same transaction that
creates the resource and stores the response, so a concurrent retry waits on the row's unique
index until the first request commits (then replays its answer) or rolls back (then runs).
The service's own commit is contained in a savepoint of that transaction, so the claim, the
resource and the stored answer become visible together or not at all. Failed requests store
nothing: after a 4xx the client may fix the body and retry with the same key.
"""

from __future__ import annotations

import hashlib
import json
import re

from flask import request
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app import db
from app.errors import DomainError, ValidationFailed
from app.inputs import json_body
from app.ops.models import IdempotentRequest

KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class KeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"


def request_hash() -> str:
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(json_body(raw), sort_keys=True, separators=(",", ":")).encode()
    except DomainError:
        canonical = raw
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n"
                          + canonical).hexdigest()


def once(workspace_id, key: str, handler) -> tuple[dict, int, dict]:
    """Run `handler(session) -> (body, status)` once per key; replays return the stored answer."""
    if not KEY.match(key):
        raise ValidationFailed("Idempotency-Key must be 1 to 255 visible ASCII characters",
                               field="Idempotency-Key")
    digest = request_hash()
    sess = db.session
    claimed = sess.execute(insert(IdempotentRequest).values(
        workspace_id=workspace_id, key=key, request_hash=digest)
        .on_conflict_do_nothing().returning(IdempotentRequest.key)).first()
    if claimed is None:
        row = sess.get(IdempotentRequest, (workspace_id, key), populate_existing=True)
        if row.request_hash != digest:
            raise KeyReused("this Idempotency-Key was already used with a different request; "
                            "send a new key for a new request", field="Idempotency-Key")
        answer = (row.response, row.status_code, {"Idempotent-Replayed": "true"})
        sess.rollback()
        return answer
    inner = Session(bind=sess.connection(), join_transaction_mode="create_savepoint",
                    expire_on_commit=False)
    try:
        body, status = handler(inner)
    finally:
        inner.close()
    row = sess.get(IdempotentRequest, (workspace_id, key))
    row.status_code, row.response = status, body
    sess.commit()
    return body, status, {}
