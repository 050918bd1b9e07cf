"""posts: the post's read shape built in the database, for set-based transitions

The engine claims and finishes posts in batches; each transition's webhook payload carries the
post's summary (docs/architecture.md, REST API). Building it here keeps it in the same
statement as the change.
app/posts/serialize.py builds the same shape in Python; tests/posts/test_summary_sql.py keeps
the two equal.

Revision ID: 0007_post_summary
Revises: 0001
"""

from alembic import op

revision = "0007_post_summary"
down_revision = "0001"
branch_labels = None
depends_on = None

ISO = """
CREATE FUNCTION openpost_iso(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(microseconds FROM t)::bigint % 1000000 <> 0
                THEN to_char(t AT TIME ZONE 'UTC', '.US') ELSE '' END || 'Z'
$$
"""

PARTS = """
CREATE FUNCTION openpost_parts(parts jsonb, results jsonb) RETURNS jsonb LANGUAGE sql
IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN parts IS NULL OR jsonb_typeof(parts) = 'null' THEN NULL ELSE coalesce((
        SELECT jsonb_agg(jsonb_build_object(
            'text', CASE WHEN part ? 'text' THEN part->'text' ELSE '""'::jsonb END,
            'media_ids', CASE WHEN part ? 'media_ids' THEN part->'media_ids'
                              ELSE '[]'::jsonb END,
            'provider_post_id', result->'provider_post_id',
            'live_url', result->'live_url') ORDER BY i)
        FROM jsonb_array_elements(parts) WITH ORDINALITY AS x(part, i)
        LEFT JOIN LATERAL (
            SELECT r AS result FROM jsonb_array_elements(
                CASE WHEN jsonb_typeof(results) = 'array' THEN results ELSE '[]' END)
                WITH ORDINALITY AS y(r, n)
            WHERE r->'index' = to_jsonb(i - 1) ORDER BY n DESC LIMIT 1) AS found ON true),
        '[]'::jsonb) END
$$
"""

SUMMARY = """
CREATE FUNCTION post_summary(p posts) RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', p.id::text, 'channel_id', p.channel_id::text, 'group_id', p.group_id::text,
        'state', p.state, 'schedule_at', openpost_iso(p.schedule_at), 'timezone', p.timezone,
        'text', p.text, 'parts', openpost_parts(p.parts, p.results),
        'media_ids', coalesce(nullif(p.media_ids, 'null'::jsonb), '[]'::jsonb),
        'options', coalesce(nullif(p.options, 'null'::jsonb), '{}'::jsonb),
        'live_url', p.live_url, 'provider_post_id', p.provider_post_id,
        'results', coalesce(nullif(p.results, 'null'::jsonb), '[]'::jsonb),
        'warnings', coalesce(nullif(p.warnings, 'null'::jsonb), '[]'::jsonb),
        'attempts', p.attempts, 'next_attempt_at', openpost_iso(p.next_attempt_at),
        'error', CASE WHEN coalesce(p.error_code, '') <> '' THEN jsonb_build_object(
            'code', p.error_code, 'message', p.error_message) END,
        'published_at', openpost_iso(p.published_at),
        'created_at', openpost_iso(p.created_at), 'updated_at', openpost_iso(p.updated_at),
        'version', p.version)
$$
"""


def upgrade() -> None:
    op.execute(ISO)
    op.execute(PARTS)
    op.execute(SUMMARY)


def downgrade() -> None:
    op.execute("DROP FUNCTION post_summary(posts)")
    op.execute("DROP FUNCTION openpost_parts(jsonb, jsonb)")
    op.execute("DROP FUNCTION openpost_iso(timestamptz)")
