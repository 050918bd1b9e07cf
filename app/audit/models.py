"""The audit log: append-only, hash-chained per workspace."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=True)
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[str] = mapped_column(sa.String(64))
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    # Set when the entry is sealed into its workspace's chain (app/audit/chain.py).
    seq: Mapped[int | None] = mapped_column(sa.BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.Index("ix_audit_ws", "workspace_id", "id"),
        sa.Index("ix_audit_unsealed", "id", postgresql_where=sa.text("hash IS NULL")),
        sa.Index("ix_audit_ws_created", "workspace_id", "created_at"),
        # One gapless chain per workspace (entries without a workspace form their own).
        sa.Index("uq_audit_ws_seq", "workspace_id", "seq", unique=True,
                 postgresql_where=sa.text("seq IS NOT NULL"), postgresql_nulls_not_distinct=True),
    )
