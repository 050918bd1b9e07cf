"""One line of history: joins the four branches that each revised 0001

Webhooks, operations, media conversions and the post summary were added side by side, each
revising the initial schema. From here on every migration revises the one before it, so
`openpost db upgrade` applies a single head.

Revision ID: 0008_merge_heads
Revises: 0005_webhooks, 0006_ops, 0007_media_conversions, 0007_post_summary
"""

revision = "0008_merge_heads"
down_revision = ("0005_webhooks", "0006_ops", "0007_media_conversions", "0007_post_summary")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
