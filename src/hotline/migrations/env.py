"""Alembic environment: the URL comes from the caller (hotline db ...) or HOTLINE_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from hotline.core.config import Settings
from hotline.core.db import import_all_models, make_engine

config = context.config
target_metadata = import_all_models()


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Tables the search engines manage themselves (SQLite FTS5 shadow tables) are not in the models."""
    return not (type_ == "table" and name is not None and name.startswith("kb_fts"))


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or Settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
