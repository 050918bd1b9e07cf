"""Connected social accounts (one per platform account), credentials encrypted at rest."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app import crypto, logs
from app.config import PLATFORMS
from app.db import Base

STATUSES = ("connected", "disconnected")


def credentials_aad(workspace_id, channel_id) -> str:
    """What a channel's credentials ciphertext is bound to (moving it elsewhere breaks it)."""
    return f"{workspace_id}:channel:{channel_id}:credentials"


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    handle: Mapped[str] = mapped_column(sa.String(255), default="")
    display_name: Mapped[str] = mapped_column(sa.String(255), default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # Non-secret connection settings: pds_url, instance_url, account_id, limits read from the
    # platform (e.g. Mastodon's max_characters), sandbox flag.
    settings: Mapped[dict] = mapped_column(JSONB, default=dict)
    credentials_enc: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    token_expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[str] = mapped_column(sa.String(16), default="connected")
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now(),
                                                 onupdate=sa.func.now())

    __table_args__ = (
        sa.CheckConstraint(f"platform IN {PLATFORMS}", name="ck_channels_platform"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_channels_status"),
        sa.Index("ix_channels_token_expiry", "token_expires_at",
                 postgresql_where=sa.text("status = 'connected' AND token_expires_at IS NOT NULL")),
    )

    def _aad(self) -> str:
        return credentials_aad(self.workspace_id, self.id)

    @property
    def credentials(self) -> dict:
        """Decrypted credentials (tokens, app passwords). Never serialised anywhere."""
        if not self.credentials_enc:
            return {}
        value = json.loads(crypto.decrypt(self.credentials_enc, self._aad()))
        logs.register_credentials(value)
        return value

    @credentials.setter
    def credentials(self, value: dict) -> None:
        if self.id is None:
            self.id = uuid.uuid4()
        logs.register_credentials(value)
        self.credentials_enc = crypto.encrypt(json.dumps(value).encode(), self._aad())
