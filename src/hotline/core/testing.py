"""Helpers for the test-suite and benchmarks: fresh real databases."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from hotline.core.db import make_engine

PG_URL = os.environ.get("HOTLINE_TEST_DATABASE_URL", "")


def fresh_database_url(tmp_dir: Path, name: str = "test") -> str:
    """A new, empty database: a SQLite file, or a freshly created PostgreSQL database."""
    if not PG_URL:
        return f"sqlite:///{tmp_dir / (name + '.sqlite3')}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    dbname = f"hotline_{name}_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + dbname
