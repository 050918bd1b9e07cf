"""webhook delivery leases, audit sealing and the append-only audit log

Revision ID: 0005_webhooks
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_webhooks"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND NEW.hash IS NOT NULL
       AND (NEW.id, NEW.workspace_id, NEW.actor, NEW.action, NEW.target_type, NEW.target_id,
            NEW.request_id, NEW.before, NEW.after, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.workspace_id, OLD.actor, OLD.action, OLD.target_type, OLD.target_id,
            OLD.request_id, OLD.before, OLD.after, OLD.created_at) THEN
        RETURN NEW;  -- sealing a not-yet-hashed entry
    END IF;
    IF TG_OP = 'DELETE' AND OLD.workspace_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM workspaces WHERE id = OLD.workspace_id) THEN
        RETURN OLD;  -- the workspace itself is being erased
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""

POST_EVENTS_TO_AUDIT = """
CREATE FUNCTION post_event_audit() RETURNS trigger AS $$
BEGIN
    INSERT INTO audit_log (workspace_id, actor, action, target_type, target_id, request_id,
                           before, after, created_at)
    VALUES (NEW.workspace_id, NEW.actor,
            CASE WHEN NEW.detail ? 'edited' THEN 'post.edited' ELSE 'post.' || NEW.to_state END,
            'post', NEW.post_id::text, NEW.request_id,
            CASE WHEN NEW.from_state IS NULL THEN NULL
                 ELSE jsonb_build_object('state', NEW.from_state) END,
            jsonb_build_object('state', NEW.to_state) || COALESCE(NEW.detail, '{}'::jsonb)
                || CASE WHEN NEW.to_state = 'published' THEN
                       (SELECT jsonb_build_object('live_url', p.live_url,
                                                  'provider_post_id', p.provider_post_id)
                        FROM posts p WHERE p.id = NEW.post_id)
                   ELSE '{}'::jsonb END,
            NEW.created_at);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER post_event_audit AFTER INSERT ON post_events
    FOR EACH ROW EXECUTE FUNCTION post_event_audit();
"""


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.create_index("ix_audit_unsealed", "audit_log", ["id"],
                    postgresql_where=sa.text("hash IS NULL"))
    op.create_index("uq_audit_ws_seq", "audit_log", ["workspace_id", "seq"], unique=True,
                    postgresql_where=sa.text("seq IS NOT NULL"),
                    postgresql_nulls_not_distinct=True)
    op.create_index("ix_audit_ws_created", "audit_log", ["workspace_id", "created_at"])
    op.execute(APPEND_ONLY)
    op.execute(POST_EVENTS_TO_AUDIT)
    op.add_column("webhook_endpoints",
                  sa.Column("busy_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("webhook_deliveries",
                  sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("webhook_deliveries", sa.Column("last_response", sa.Text(), nullable=True))
    op.add_column("webhook_deliveries", sa.Column("duration_ms", sa.Integer(), nullable=True))
    op.create_index("ix_deliveries_endpoint_due", "webhook_deliveries",
                    ["endpoint_id", "next_attempt_at"],
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index("ix_deliveries_endpoint_due", table_name="webhook_deliveries")
    op.drop_column("webhook_deliveries", "duration_ms")
    op.drop_column("webhook_deliveries", "last_response")
    op.drop_column("webhook_deliveries", "last_attempt_at")
    op.drop_column("webhook_endpoints", "busy_until")
    op.execute("DROP TRIGGER post_event_audit ON post_events; DROP FUNCTION post_event_audit()")
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log; "
               "DROP FUNCTION audit_log_append_only()")
    op.drop_index("ix_audit_ws_created", table_name="audit_log")
    op.drop_index("uq_audit_ws_seq", table_name="audit_log")
    op.drop_index("ix_audit_unsealed", table_name="audit_log")
    op.drop_column("audit_log", "seq")
