"""Alembic environment: runs on the connection app.db.upgrade() hands over, or on the URL."""

import sqlalchemy as sa
from alembic import context

import app.models  # noqa: F401  (registers every table)
from app.db import Base

config = context.config
target_metadata = Base.metadata


def run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        run(conn)
        conn.commit()
    engine.dispose()
