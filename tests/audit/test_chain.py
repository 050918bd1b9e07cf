"""The audit log is append-only in the database and its hash chain exposes any edit."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from app.audit import chain
from app.audit import service as audit
from app.audit.models import AuditEntry
from tests.conftest import ROOT
from tests.webhooks.conftest import committed  # noqa: F401  (fixture)


def entries(db, ws):
    return list(db.scalars(sa.select(AuditEntry).where(AuditEntry.workspace_id == ws)
                           .order_by(AuditEntry.seq)))


def write_some(db, ws, n=4):
    for i in range(n):
        audit.record(db, ws, "test", "thing.done", target_type="thing", target_id=i,
                     after={"n": i})
    db.commit()


def edit_behind_the_triggers_back(db, sql, params):
    """What a superuser with direct database access could do."""
    db.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    db.execute(sa.text(sql), params)
    db.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET actor = 'someone else' WHERE id = :id",
                                 "UPDATE audit_log SET hash = 'x' WHERE id = :id",
                                 "DELETE FROM audit_log WHERE id = :id"])
def test_updates_and_deletes_are_refused(db, workspace, sql):
    ws, _ = workspace
    write_some(db, ws, 1)
    chain.seal(db)
    target = entries(db, ws)[-1]
    savepoint = db.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(sa.text(sql), {"id": target.id})
    savepoint.rollback()


def test_unsealed_entry_content_cannot_change_either(db, workspace):
    ws, _ = workspace
    write_some(db, ws, 1)
    target = db.scalar(sa.select(AuditEntry).where(AuditEntry.workspace_id == ws,
                                                   AuditEntry.hash.is_(None)).limit(1))
    savepoint = db.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(sa.text("UPDATE audit_log SET after = '{}', hash = 'forged' WHERE id = :id"),
                   {"id": target.id})
    savepoint.rollback()


def test_sealed_chain_verifies(db, workspace):
    ws, _ = workspace
    write_some(db, ws)
    assert chain.seal(db) > 0
    sealed = entries(db, ws)
    assert [e.seq for e in sealed] == list(range(1, len(sealed) + 1))
    assert all(b.prev_hash == a.hash for a, b in zip(sealed, sealed[1:], strict=False))
    assert chain.verify(db, ws) == (len(sealed), None)


def test_an_edited_entry_is_named(db, workspace):
    ws, _ = workspace
    write_some(db, ws)
    chain.seal(db)
    victim = entries(db, ws)[2]
    edit_behind_the_triggers_back(db, "UPDATE audit_log SET after = '{\"n\": 99}' WHERE id = :id",
                                  {"id": victim.id})
    _checked, problem = chain.verify(db, ws)
    assert problem.entry_id == victim.id and "edited" in problem.reason


def test_a_deleted_entry_is_noticed(db, workspace):
    ws, _ = workspace
    write_some(db, ws)
    chain.seal(db)
    victim = entries(db, ws)[1]
    edit_behind_the_triggers_back(db, "DELETE FROM audit_log WHERE id = :id", {"id": victim.id})
    _checked, problem = chain.verify(db, ws)
    assert problem.seq == victim.seq and "missing" in problem.reason


def test_post_transitions_are_audited_with_actor_and_request_id(api, db, make_channel):
    channel = make_channel(api.workspace_id)
    post = api.post("/posts", json={"channel_id": str(channel.id), "text": "x"},
                    headers={"x-op-request-id": "req-audit-0001"}).get_json()
    api.post(f"/posts/{post['id']}/cancel", headers={"x-op-request-id": "req-audit-0002"})
    rows = list(db.scalars(sa.select(AuditEntry).where(AuditEntry.target_id == post["id"])
                           .order_by(AuditEntry.id)))
    assert [(r.action, r.request_id) for r in rows] == [("post.draft", "req-audit-0001"),
                                                        ("post.canceled", "req-audit-0002")]
    assert rows[1].before == {"state": "draft"} and rows[1].after["state"] == "canceled"
    assert rows[1].actor.startswith("api_key:")


def test_publish_is_audited_with_its_live_url(db, workspace, make_channel):
    from app.posts import service as posts
    from app.posts.lifecycle import PostState, transition

    ws, _ = workspace
    post = posts.create_post(db, ws, "test", channel_id=make_channel(ws).id, text="x",
                             schedule_at=datetime.now(UTC).isoformat())
    transition(db, post, PostState.PUBLISHING, actor="worker:w1")
    post.live_url, post.provider_post_id = "https://m.example/@t/1", "1"
    transition(db, post, PostState.PUBLISHED, actor="worker:w1")
    db.commit()
    published = db.scalar(sa.select(AuditEntry).where(AuditEntry.target_id == str(post.id),
                                                      AuditEntry.action == "post.published"))
    assert published.actor == "worker:w1" and published.before == {"state": "publishing"}
    assert published.after["live_url"] == "https://m.example/@t/1"


def run_verify(database_url, *args):
    env = dict(os.environ, DATABASE_URL=database_url)
    return subprocess.run([sys.executable, "-m", "app.cli", "audit", "verify", *args],  # noqa: S603
                          cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.concurrency
def test_cli_verify_names_the_first_broken_link(database_url, engine,
                                                committed):  # noqa: F811
    from app.auth.models import Workspace

    ws, _ = committed
    with engine.begin() as conn:
        name = conn.scalar(sa.select(Workspace.name).where(Workspace.id == ws))
    good = run_verify(database_url, "--workspace", name)
    assert good.returncode == 0, good.stderr
    assert "intact" in good.stdout
    with engine.begin() as conn:
        victim = conn.scalar(sa.select(sa.func.min(AuditEntry.id))
                             .where(AuditEntry.workspace_id == ws))
        conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        conn.execute(sa.text("UPDATE audit_log SET actor = 'mallory' WHERE id = :id"),
                     {"id": victim})
        conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    bad = run_verify(database_url, "--workspace", name)
    assert bad.returncode == 1
    assert f"entry {victim}" in bad.stderr and "edited" in bad.stderr
    every = run_verify(database_url)
    assert every.returncode == 1 and f"entry {victim}" in every.stderr
