"""Webhook endpoints and their delivery attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    # Event filter; empty means every event.
    events: Mapped[list] = mapped_column(JSONB, default=list)
    # Encrypted signing secrets, newest first (two during a rotation).
    secrets_enc: Mapped[bytes] = mapped_column(sa.LargeBinary)
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(sa.Text)
    failing_since: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # In the future: the lease of a delivery in flight (per-endpoint concurrency 1);
    # in the past: when it was last served (claims go least recently served first).
    busy_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())

    def _aad(self) -> str:
        """Associated data binding secrets_enc to this endpoint (as channels bind theirs)."""
        return f"{self.workspace_id}:webhook:{self.id}:secrets"


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column()
    event_type: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict] = mapped_column(JSONB)
    # pending | succeeded | failed (retries exhausted or endpoint disabled)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True),
                                                             server_default=sa.func.now())
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_response: Mapped[str | None] = mapped_column(sa.Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    duration_ms: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_delivery_endpoint_event"),
        sa.Index("ix_deliveries_due", "next_attempt_at",
                 postgresql_where=sa.text("status = 'pending'")),
        sa.Index("ix_deliveries_endpoint", "endpoint_id", "created_at"),
        sa.Index("ix_deliveries_endpoint_due", "endpoint_id", "next_attempt_at",
                 postgresql_where=sa.text("status = 'pending'")),
    )
