"""`openpost doctor`, `export` and `keys rotate` as an operator runs them (real commits)."""

import base64
import json
import os
import secrets
import subprocess
import sys
import uuid
import zipfile

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import ROOT


@pytest.fixture
def committed(engine, database_url):
    """A session whose work is really committed, and everything it made removed afterwards."""
    name = f"cli-{uuid.uuid4().hex[:8]}"
    with Session(engine) as sess:
        yield sess, name
        sess.rollback()
        for statement in ("DELETE FROM workers", "DELETE FROM ops_alarms",
                          "DELETE FROM workspaces WHERE name = :n",
                          "DELETE FROM users WHERE email LIKE :e"):
            sess.execute(sa.text(statement), {"n": name, "e": f"{name}%"})
        sess.commit()


def openpost(database_url, *args, env=None, timeout=120):
    full = dict(os.environ, DATABASE_URL=database_url, **(env or {}))
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=full,  # noqa: S603
                          capture_output=True, text=True, timeout=timeout)


def _heartbeat(sess, ago_s):
    sess.execute(sa.text(
        "INSERT INTO workers (id, host, pid, version, last_tick_at, posts_claimed, in_flight) "
        "VALUES ('w-cli', 'h', 1, 't', now() - make_interval(secs => :a), 0, 0) "
        "ON CONFLICT (id) DO UPDATE SET last_tick_at = EXCLUDED.last_tick_at"), {"a": ago_s})
    sess.commit()


def test_doctor_exits_1_and_says_why_then_0(committed, database_url):
    sess, _name = committed
    _heartbeat(sess, 300)
    sick = openpost(database_url, "doctor")
    assert sick.returncode == 1, sick.stderr
    assert "ALARM: posts are not being published" in sick.stdout
    assert "No worker has checked in since" in sick.stdout and "w-cli" in sick.stdout
    assert "scheduler: no process holds it" in sick.stdout
    assert sess.scalar(sa.text("SELECT alarming FROM ops_alarms")) is True
    _heartbeat(sess, 0)
    well = openpost(database_url, "doctor", "--json")
    assert well.returncode == 0, well.stderr
    report = json.loads(well.stdout.strip().splitlines()[-1])
    assert report["ok"] and report["alarm"]["live_workers"] == 1 and report["migrations_current"]
    assert report["scheduler"] is None  # no engine process runs: nobody holds the scheduler


def test_export_command_writes_the_zip(committed, database_url, tmp_path):
    from app.auth import service as auth

    sess, name = committed
    auth.create_user(sess, f"{name}@example.com", "correct horse battery", name)
    target = tmp_path / "out.zip"
    done = openpost(database_url, "export", "--workspace", name, "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "1 audit_log" in done.stdout
    assert "manifest.json" in zipfile.ZipFile(target).namelist()
    missing = openpost(database_url, "export", "--workspace", "no-such-workspace")
    assert missing.returncode != 0 and "no workspace named" in missing.stderr


def test_keys_rotate_command(committed, database_url):
    from app.auth import service as auth
    from app.channels import service as channels

    sess, name = committed
    user = auth.create_user(sess, f"{name}@example.com", "correct horse battery", name)
    channel = channels.connect(sess, user.memberships[0].workspace_id, "test", platform="x",
                               credentials={"access_token": "rotate-me-token"}, settings={})
    old = os.environ["OPENPOST_ENCRYPTION_KEYS"]
    new = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    done = openpost(database_url, "keys", "rotate", env={"OPENPOST_ENCRYPTION_KEYS": f"{new},{old}"})
    assert done.returncode == 0, done.stderr
    assert "older keys can be removed" in done.stdout
    check = openpost(database_url, "keys", "rotate", env={"OPENPOST_ENCRYPTION_KEYS": new})
    assert check.returncode == 0 and "re-encrypted 0 channels" in check.stdout
    sess.expire_all()
    os.environ["OPENPOST_ENCRYPTION_KEYS"] = new
    try:
        from app.channels.models import Channel

        assert sess.get(Channel, channel.id).credentials == {"access_token": "rotate-me-token"}
    finally:
        os.environ["OPENPOST_ENCRYPTION_KEYS"] = old


def test_doctor_reports_migrations_behind_without_applying_them(committed, database_url):
    sess, _name = committed
    _heartbeat(sess, 0)
    head = sess.scalar(sa.text("SELECT version_num FROM alembic_version"))
    sess.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    sess.commit()
    try:
        behind = openpost(database_url, "doctor")
        assert behind.returncode == 1
        assert "migrations: BEHIND: run `openpost db upgrade`" in behind.stdout
        assert sess.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0001"
    finally:
        sess.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        sess.commit()


def test_doctor_when_the_database_is_down(database_url):
    down = openpost("postgresql+psycopg://nobody@127.0.0.1:1/none", "doctor")
    assert down.returncode == 1 and "database: unreachable: OperationalError" in down.stdout


def test_doctor_and_keys_rotate_name_media_left_on_an_old_key(committed, database_url, tmp_path):
    from app.media.storage import LocalStorage

    sess, _name = committed
    _heartbeat(sess, 0)
    old = os.environ["OPENPOST_ENCRYPTION_KEYS"]
    LocalStorage(tmp_path / "media").put(str(uuid.uuid4()), "photo", b"picture bytes" * 1000)
    new = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    both = {"OPENPOST_ENCRYPTION_KEYS": f"{new},{old}", "OPENPOST_INSTANCE_PATH": str(tmp_path)}
    before = openpost(database_url, "doctor", env=both)
    assert "encryption keys: still on an older key" in before.stdout, before.stdout
    assert "1 media files on key #2 (id " in before.stdout and old not in before.stdout
    done = openpost(database_url, "keys", "rotate", env=both)
    assert done.returncode == 0, done.stderr
    assert "media files: 1/1 checked, 1 re-encrypted (13,033 bytes)" in done.stdout
    assert "older keys can be removed" in done.stdout
    after = openpost(database_url, "doctor", env=dict(both, OPENPOST_ENCRYPTION_KEYS=new))
    assert "encryption keys: everything on the newest key" in after.stdout, after.stdout


def test_doctor_names_each_setting_a_production_deployment_lacks(committed, database_url):
    from app import config

    sess, _name = committed
    _heartbeat(sess, 0)
    risky = openpost(database_url, "doctor", env={
        "OPENPOST_SANDBOX": "on", "OPENPOST_ALLOW_PRIVATE_HOSTS": "1",
        "OPENPOST_PUBLIC_URL": "http://posts.example.org", "OPENPOST_METRICS_TOKEN": "",
        "SMTP_URL": "", "OPENPOST_SECRET_KEY": "", "OPENPOST_ENCRYPTION_KEYS": ""})
    assert risky.returncode == 0, risky.stderr  # warnings: publishing itself is fine
    said = risky.stdout.split("production settings:", 1)[1]
    for setting in ("OPENPOST_SANDBOX=on", "OPENPOST_ALLOW_PRIVATE_HOSTS", "is not https",
                    "OPENPOST_METRICS_TOKEN", "SMTP_URL", "OPENPOST_SECRET_KEY",
                    "OPENPOST_ENCRYPTION_KEYS"):
        assert setting in said, setting
    ready = openpost(database_url, "doctor", "--json", env={
        "OPENPOST_SANDBOX": "", "OPENPOST_ALLOW_PRIVATE_HOSTS": "",
        "OPENPOST_PUBLIC_URL": "https://posts.example.org", "OPENPOST_METRICS_TOKEN": "t",
        "SMTP_URL": "smtp://mail.example.org:587", "OPENPOST_SECRET_KEY": config.secret_key(),
        "OPENPOST_ENCRYPTION_KEYS": ",".join(config.encryption_keys())})
    assert json.loads(ready.stdout.strip().splitlines()[-1])["settings"] == []
