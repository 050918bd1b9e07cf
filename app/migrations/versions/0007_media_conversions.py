"""media conversions: the outbox carries conversion jobs run by the workers

Revision ID: 0007_media_conversions
Revises: 0001
"""

from alembic import op

revision = "0007_media_conversions"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("ck_outbox_kind", "outbox", type_="check")
    op.create_check_constraint("ck_outbox_kind", "outbox",
                               "kind IN ('webhook', 'email', 'conversion')")


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE kind = 'conversion'")
    op.drop_constraint("ck_outbox_kind", "outbox", type_="check")
    op.create_check_constraint("ck_outbox_kind", "outbox", "kind IN ('webhook', 'email')")
