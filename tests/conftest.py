"""Fixtures: a real PostgreSQL (embedded, or TEST_DATABASE_URL), one rolled-back transaction
per test, the Flask app and clients, and factories for workspaces, users, keys and channels."""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("OPENPOST_ENCRYPTION_KEYS",
                      base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
os.environ.setdefault("OPENPOST_SECRET_KEY", secrets.token_hex(16))
os.environ.setdefault("OPENPOST_ALLOW_PRIVATE_HOSTS", "1")


def _server_url() -> str:
    """An admin URL on the server the suite uses."""
    from filelock import FileLock

    from app import db

    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    # Parallel workers (pytest-xdist) share one embedded server: one process at a time creates
    # or starts it, and the others join the running one.
    with FileLock(ROOT / ".test-pg.lock"):
        return db.embedded_url(ROOT / ".test-pg", database="postgres")


def pytest_configure(config):
    """Under pytest-xdist the controller starts the embedded server before its workers, and
    holds it until the last of them is done (the server stops with its last user)."""
    if (not os.environ.get("TEST_DATABASE_URL") and not hasattr(config, "workerinput")
            and getattr(config.option, "numprocesses", None)):
        _server_url()


class ScratchDatabases:
    """Creates migrated databases on the test server and drops them all at the end."""

    def __init__(self):
        self.base = sa.engine.make_url(_server_url())
        self.admin = sa.create_engine(self.base.set(database="postgres"),
                                      isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def create(self, migrate: bool = True) -> str:
        from app import db

        name = f"openpost_test_{os.getpid()}_{secrets.token_hex(3)}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        url = self.base.set(database=name).render_as_string(hide_password=False)
        if migrate:
            db.upgrade(url)
        return url

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def scratch_databases(tmp_path_factory):
    os.environ["OPENPOST_INSTANCE_PATH"] = str(tmp_path_factory.mktemp("instance"))
    scratch = ScratchDatabases()
    yield scratch
    scratch.drop_all()


@pytest.fixture(scope="session")
def database_url(scratch_databases):
    """A fresh database for this run (so parallel runs never meet), migrated, then dropped."""
    return scratch_databases.create()


@pytest.fixture(scope="session")
def engine(database_url):
    from app import db

    eng = db.make_engine(database_url, pool_size=5, max_overflow=10)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def app(database_url, engine):
    from app import create_app

    # The fake platforms under /sandbox are opted into: the dashboard's sandbox tests use them.
    # The suite's app is plain http on loopback whichever test first asks for it (under xdist
    # that may be a test whose fixtures set a production OPENPOST_PUBLIC_URL).
    with pytest.MonkeyPatch.context() as env:
        env.delenv("OPENPOST_PUBLIC_URL", raising=False)
        return create_app({"TESTING": True, "DATABASE_URL": database_url, "ENGINE": engine,
                           "SERVER_NAME": "localhost", "SANDBOX": "on"})


@pytest.fixture
def db(app, engine):
    """The app's session joined to an outer transaction that is rolled back after the test."""
    from app import db as appdb

    connection = engine.connect()
    outer = connection.begin()
    appdb.configure_engine(connection, join_transaction_mode="create_savepoint")
    yield appdb.session
    appdb.session.remove()
    outer.rollback()
    connection.close()
    appdb.configure_engine(engine)


@pytest.fixture
def client(app, db):
    with app.test_client() as c:
        yield c


@pytest.fixture
def make_user(db):
    from app.auth import service

    def make(email=None, workspace=None, password="correct horse battery", role="owner",
             timezone="UTC"):
        email = email or f"u{uuid.uuid4().hex[:8]}@example.com"
        workspace = workspace or f"ws-{uuid.uuid4().hex[:8]}"
        user = service.create_user(db, email, password, workspace, role=role, timezone=timezone)
        return user
    return make


@pytest.fixture
def workspace(make_user):
    """(workspace id, owner) of a fresh workspace."""
    user = make_user()
    return user.memberships[0].workspace_id, user


@pytest.fixture
def make_api_key(db):
    from app.auth import service

    def make(workspace_id):
        _key, token = service.create_api_key(db, workspace_id, "test")
        return {"Authorization": f"Bearer {token}"}
    return make


@pytest.fixture
def api(client, workspace, make_api_key):
    """A client speaking JSON with the workspace's API key."""
    headers = make_api_key(workspace[0])

    class Api:
        workspace_id = workspace[0]

        def __getattr__(self, method):
            def call(path, **kw):
                return getattr(client, method)(f"/api/v1{path}",
                                               headers={**headers, **kw.pop("headers", {})}, **kw)
            return call
    return Api()


@pytest.fixture
def make_channel(db):
    from app.channels import service

    def make(workspace_id, platform="mastodon", timezone="UTC", **settings):
        return service.connect(db, workspace_id, "test", platform=platform,
                               handle=f"@t{uuid.uuid4().hex[:6]}", timezone=timezone,
                               credentials={"access_token": "secret-token"},
                               settings=settings or {"instance_url": "https://m.example"})
    return make


def login(client, email, password="correct horse battery"):
    """Sign in through the real form, CSRF token included."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token})


@pytest.fixture(scope="session")
def sandbox_server():
    """The platform fakes on a random loopback port, for the whole run."""
    from app.sandbox.server import SandboxServer

    # Its consent pages return to the test app's own callback address.
    server = SandboxServer(callbacks=["http://localhost"]).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox, emptied for this test."""
    sandbox_server.state.reset()
    return sandbox_server


@pytest.fixture
def mounted_sandbox(app):
    """The sandbox mounted in the test app at /sandbox, emptied for this test: it lives as long
    as the app, so posts, faults and logged requests of earlier tests are otherwise still there."""
    state = app.extensions["sandbox"].extensions["sandbox_state"]
    state.reset()
    return state


@pytest.fixture
def platforms(sandbox, monkeypatch):
    """platforms("x") -> a fresh sandbox account; the X, Threads and Bluesky video service base
    URLs point at the sandbox."""
    import httpx

    from tests.channels.accounts import Platform

    monkeypatch.setenv("OPENPOST_X_API_URL", f"{sandbox.url}/x")
    monkeypatch.setenv("OPENPOST_THREADS_API_URL", f"{sandbox.url}/threads")
    monkeypatch.setenv("OPENPOST_BLUESKY_VIDEO_URL", f"{sandbox.url}/bluesky-video")
    with httpx.Client(timeout=5.0) as http:
        yield lambda name: Platform(sandbox, name, http)


@pytest.fixture
def quiet_ops(db):
    """No worker heartbeats, no overdue post and no remembered alarm from anything committed
    before this test (inside its rolled-back transaction), so alarm tests start from zero."""
    db.execute(sa.text("DELETE FROM workers"))
    db.execute(sa.text("DELETE FROM ops_alarms"))
    db.execute(sa.text("DELETE FROM posts WHERE state = 'scheduled' AND schedule_at < now()"))
    return db
from tests.channels.social_accounts import social, stored  # noqa: E402,F401  (fixtures)


@pytest.fixture
def local_storage(tmp_path):
    """Media stored (encrypted) under this test's own directory."""
    from app.media import storage

    backend = storage.LocalStorage(tmp_path / "media")
    storage.use(backend)
    yield backend
    storage.use(None)
