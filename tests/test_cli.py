"""The command line end to end: migrate, create a user, create an API key, use it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent


def openpost(url, *args, input=None):
    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                          input=input, capture_output=True, text=True, timeout=120)


@pytest.fixture
def fresh_url(scratch_databases):
    return scratch_databases.create(migrate=False)


def test_user_and_key_from_the_command_line_then_list_posts(fresh_url, engine):
    assert openpost(fresh_url, "db", "upgrade").returncode == 0
    made = openpost(fresh_url, "user", "create", "ops@acme.test", "--workspace", "Acme",
                    "--password", "a long password")
    assert made.returncode == 0, made.stderr
    key = openpost(fresh_url, "apikey", "create", "--workspace", "Acme")
    assert key.returncode == 0, key.stderr
    token = key.stdout.strip().splitlines()[-1]
    assert token.startswith("op_")

    from app import create_app

    app = create_app({"DATABASE_URL": fresh_url, "TESTING": True})
    try:
        answer = app.test_client().get("/api/v1/posts",
                                       headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and answer.get_json()["data"] == []
        engine = app.extensions["engine"]
        with engine.connect() as conn:
            stored = conn.scalar(sa.text("SELECT key_hash FROM api_keys"))
        assert token not in stored  # only the hash is kept
    finally:
        from app import db

        app.extensions["engine"].dispose()
        db.configure_engine(engine)  # the suite's own database again, for the tests after this


def test_bad_input_on_the_command_line_is_named_and_creates_nothing(fresh_url):
    openpost(fresh_url, "db", "upgrade")
    bad = openpost(fresh_url, "user", "create", "not-an-email", "--workspace", "Acme",
                   "--password", "a long password")
    assert bad.returncode != 0 and "valid email" in bad.stderr
    unknown = openpost(fresh_url, "apikey", "create", "--workspace", "Nope")
    assert unknown.returncode != 0 and "no workspace named 'Nope'" in unknown.stderr
    engine = sa.create_engine(fresh_url)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM users")) == 0
        assert conn.scalar(sa.text("SELECT count(*) FROM api_keys")) == 0
    engine.dispose()


def test_the_benchmark_refuses_two_ways_of_stopping_workers_at_once():
    from click.testing import CliRunner

    from app.cli import main

    result = CliRunner().invoke(main, ["bench", "--chaos", "--rolling-restart"])
    assert result.exit_code == 2
    assert "--chaos and --rolling-restart cannot be combined" in result.output


def test_migration_history_has_one_head():
    """Every migration revises the one before it: `db upgrade` applies a single head."""
    from alembic.script import ScriptDirectory

    from app import db

    script = ScriptDirectory.from_config(db.alembic_config("postgresql://unused"))
    assert len(script.get_heads()) == 1, script.get_heads()
