"""Migrations reach every head, match the models, and go down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from hotline.core import migrate
from hotline.core.db import import_all_models, make_engine


def include_name(name, type_, parent_names):  # type: ignore[no-untyped-def]
    """The same filter as migrations/env.py: FTS5 shadow tables are the search engine's own."""
    return not (type_ == "table" and name is not None and name.startswith("kb_fts"))

from hotline.core.testing import fresh_database_url


def test_database_is_at_every_head(engine: Engine) -> None:
    assert migrate.is_up_to_date(engine)
    assert migrate.heads(), "at least one migration branch"


def test_models_match_migrations(engine: Engine) -> None:
    metadata = import_all_models()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False, "include_name": include_name})
        diff = [d for d in compare_metadata(ctx, metadata) if d[0] != "remove_table" or d[1].name != "alembic_version"]
    assert diff == [], f"models and migrations differ: {diff}"


def test_downgrade_to_base_and_up_again(tmp_path) -> None:
    eng = make_engine(fresh_database_url(tmp_path, "updown"))
    migrate.upgrade(eng)
    migrate.downgrade(eng, "base")
    assert migrate.current(eng) == set()
    assert not migrate.is_up_to_date(eng)
    migrate.upgrade(eng)
    assert migrate.is_up_to_date(eng)
    eng.dispose()
