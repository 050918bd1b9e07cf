"""The outbox tick the engine runs every second, and `openpost outbox deliver --once`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from app import db
from app.audit.models import AuditEntry
from jobs.outbox import run_outbox_once
from tests.conftest import ROOT

pytestmark = pytest.mark.concurrency


def test_one_tick_delivers_and_seals(committed, receiver, make_endpoint, new_draft):
    ws, _ = committed
    server = receiver()
    make_endpoint(ws, server.url)
    new_draft(ws)
    done = run_outbox_once()
    assert done["webhook_attempts"] >= 1 and done["audit_sealed"] > 0  # other tests may add more
    assert len(server.requests) == 1
    try:
        unsealed = db.session().scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.workspace_id == ws, AuditEntry.hash.is_(None)))
    finally:
        db.session.remove()
    assert unsealed == 0


def test_cli_delivers_once_and_exits(database_url, committed, receiver, make_endpoint,
                                     new_draft):
    ws, _ = committed
    server = receiver()
    make_endpoint(ws, server.url)
    new_draft(ws)
    env = dict(os.environ, DATABASE_URL=database_url, SMTP_URL="")
    done = subprocess.run([sys.executable, "-m", "app.cli", "outbox", "deliver", "--once"],  # noqa: S603
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["webhook_attempts"] >= 1
    assert len(server.requests) == 1
