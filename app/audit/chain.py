"""Sealing the audit log into a hash chain per workspace, and verifying the chain.

Why sealing is asynchronous: chaining at insert time would make every writer of a workspace
lock that workspace's chain head, serialising the publishing hot path (every post transition
writes an entry: a trigger on post_events copies each one into audit_log, so no code path can
forget). Instead entries are inserted unsealed (plain appends, no lock) and `seal` (run by the
outbox job every second, and before a verification) gives them, in id order among those
committed, a per-workspace sequence number, the previous entry's hash and their own hash. The
database refuses every UPDATE and DELETE of audit_log except that one-time sealing of an
unhashed entry (and the erasure of a whole workspace); `verify` recomputes the chain.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry

SEAL_LOCK = 727_005  # pg advisory lock: one sealer at a time keeps sequence numbers gapless


def entry_hash(entry: AuditEntry) -> str:
    fields = {"id": entry.id, "workspace_id": str(entry.workspace_id) if entry.workspace_id
              else None, "seq": entry.seq, "prev_hash": entry.prev_hash, "actor": entry.actor,
              "action": entry.action, "target_type": entry.target_type,
              "target_id": entry.target_id, "request_id": entry.request_id,
              "before": entry.before, "after": entry.after,
              "created_at": entry.created_at.astimezone(UTC).isoformat()}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _head(sess: Session, workspace_id: uuid.UUID | None) -> tuple[int, str | None]:
    ws_match = (AuditEntry.workspace_id.is_(None) if workspace_id is None
                else AuditEntry.workspace_id == workspace_id)
    row = sess.execute(sa.select(AuditEntry.seq, AuditEntry.hash).where(
        ws_match, AuditEntry.seq.isnot(None)).order_by(AuditEntry.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, None)


SEAL_SQL = sa.text("""
UPDATE audit_log AS a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(id bigint, seq bigint, prev_hash text,
                                                   hash text)
WHERE a.id = v.id AND a.hash IS NULL
""")


def seal(sess: Session, limit: int = 5000) -> int:
    """Seal up to `limit` committed, unsealed entries; returns how many (0 if another seals).
    The hashes are computed here (`entry_hash`, what `verify` recomputes) and written with one
    statement, whatever the number of entries."""
    if not sess.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(SEAL_LOCK))):
        sess.rollback()
        return 0
    columns = [c for c in AuditEntry.__table__.c if c.name not in ("seq", "prev_hash", "hash")]
    entries = sess.execute(sa.select(*columns).where(AuditEntry.hash.is_(None))
                           .order_by(AuditEntry.id).limit(limit)).all()
    heads: dict[uuid.UUID | None, tuple[int, str | None]] = {}
    sealed = []
    for row in entries:
        if row.workspace_id not in heads:
            heads[row.workspace_id] = _head(sess, row.workspace_id)
        seq, prev = heads[row.workspace_id]
        entry = SimpleNamespace(**row._mapping, seq=seq + 1, prev_hash=prev)
        sealed.append({"id": entry.id, "seq": entry.seq, "prev_hash": prev,
                       "hash": entry_hash(entry)})
        heads[row.workspace_id] = (entry.seq, sealed[-1]["hash"])
    if sealed:
        sess.execute(SEAL_SQL, {"rows": json.dumps(sealed)})
    sess.commit()
    return len(entries)


@dataclass(frozen=True)
class Break:
    workspace_id: uuid.UUID | None
    entry_id: int | None
    seq: int
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.entry_id}" if self.entry_id else f"sequence number {self.seq}"
        return f"workspace {self.workspace_id or '(none)'}: {where}: {self.reason}"


def verify_workspace(sess: Session, workspace_id: uuid.UUID | None) -> tuple[int, Break | None]:
    """(entries checked, the first broken link or None) for one workspace's chain."""
    ws_match = (AuditEntry.workspace_id.is_(None) if workspace_id is None
                else AuditEntry.workspace_id == workspace_id)
    expected_seq, prev = 1, None
    query = sa.select(AuditEntry).where(ws_match, AuditEntry.seq.isnot(None)) \
        .order_by(AuditEntry.seq).execution_options(yield_per=1000, populate_existing=True)
    for entry in sess.scalars(query):
        if entry.seq != expected_seq:
            return expected_seq - 1, Break(workspace_id, None, expected_seq,
                                           "missing (the entry was deleted)")
        if entry.prev_hash != prev:
            return entry.seq - 1, Break(workspace_id, entry.id, entry.seq,
                                        "does not link to the entry before it")
        if entry_hash(entry) != entry.hash:
            return entry.seq - 1, Break(workspace_id, entry.id, entry.seq,
                                        "its content does not match its hash (edited)")
        expected_seq, prev = entry.seq + 1, entry.hash
    return expected_seq - 1, None


def verify(sess: Session, workspace_id: uuid.UUID | None = None, *, every: bool = False
           ) -> tuple[int, Break | None]:
    """Check one workspace, or every chain with `every`; stops at the first break."""
    targets = ([workspace_id] if not every else
               list(sess.scalars(sa.select(AuditEntry.workspace_id).distinct())))
    checked = 0
    for target in targets:
        count, problem = verify_workspace(sess, target)
        checked += count
        if problem:
            return checked, problem
    return checked, None
