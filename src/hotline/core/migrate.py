"""Run Alembic programmatically: upgrade/downgrade/current, used by the CLI, the demo and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

SCRIPT_LOCATION = str(Path(__file__).resolve().parent.parent / "migrations")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Bring the schema to the newest revision of every domain branch."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)


def downgrade(engine: Engine, target: str) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)


def current(engine: Engine) -> set[str]:
    """The revisions the database is at (one per domain branch)."""
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def _script() -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    return ScriptDirectory.from_config(cfg)


def heads() -> set[str]:
    """The newest revision of every branch."""
    return set(_script().get_heads())


def is_up_to_date(engine: Engine) -> bool:
    """Every head is applied: the database's revisions and their ancestors (dependencies too) cover them.

    (A branch head that another branch depends on is not stored in alembic_version once that branch moves on.)"""
    script = _script()
    applied = {rev.revision for rev in script.iterate_revisions(tuple(current(engine)), "base")}
    return heads() <= applied
