"""The web's pooled connections: one the database dropped while it sat in the pool is replaced
before a request uses it, and the request never sees the dead one."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from app import create_app, db

pytestmark = pytest.mark.concurrency


def _pid(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT pg_backend_pid()"))


def test_a_connection_killed_while_idle_is_replaced_before_use(database_url, engine):
    web = db.make_engine(database_url, pool_size=1, max_overflow=0, ping_idle_seconds=0.2)
    try:
        first = _pid(web)
        with engine.connect() as admin:
            assert admin.scalar(sa.text("SELECT pg_terminate_backend(:p)"), {"p": first})
        time.sleep(0.3)  # idle for longer than the threshold: checked before it is handed out
        second = _pid(web)
        assert second != first
        assert _pid(web) == second  # the new one is kept, not replaced again
    finally:
        web.dispose()


def test_a_page_after_the_database_dropped_the_web_processs_connections(database_url, engine):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url})
    web = app.extensions["engine"]
    try:
        client = app.test_client()
        assert client.get("/login").status_code in (200, 302)  # asks the database: any user?
        dropped = _pid(web)
        with engine.connect() as admin:
            assert admin.scalar(sa.text("SELECT pg_terminate_backend(:p)"), {"p": dropped})
        time.sleep(1.1)
        assert client.get("/login").status_code in (200, 302)
        assert _pid(web) != dropped
    finally:
        web.dispose()
        db.configure_engine(engine)
