"""Shared fixtures: a migrated real database (SQLite file, or PostgreSQL when HOTLINE_TEST_DATABASE_URL is
set), each test in a transaction that is rolled back, and a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.core import migrate
from hotline.core.clock import ManualClock
from hotline.core.db import make_engine
from hotline.core.testing import DEMO_PASSWORD, fresh_database_url


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return fresh_database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    conn = engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        conn.close()


# ---------------------------------------------------------------- a seeded deployment and a live app


@pytest.fixture(scope="session")
def seeded(engine: Engine) -> Engine:
    """The session database with the demo centre (small customer count) committed once."""
    from hotline.core.db import make_sessionmaker
    from hotline.seed import already_seeded, seed

    with make_sessionmaker(engine)() as session:
        if not already_seeded(session):
            seed(session, now=datetime.now(UTC), seed=7, customers=400)
            session.commit()
    return engine


@pytest.fixture(scope="session")
def app(seeded: Engine, db_url: str):  # type: ignore[no-untyped-def]
    from hotline.core.config import Settings
    from hotline.main import create_app

    return create_app(Settings(database_url=db_url, login_rate_per_minute=1000))


@pytest.fixture(scope="session")
def login(app):  # type: ignore[no-untyped-def]
    """login("agent") -> a TestClient signed in with a bearer token (no CSRF needed)."""
    from fastapi.testclient import TestClient

    tokens: dict[str, str] = {}

    def _login(username: str, password: str = DEMO_PASSWORD) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False)
        if username not in tokens:
            r = client.post("/api/auth/login", json={"username": username, "password": password})
            assert r.status_code == 200, r.text
            tokens[username] = r.json()["token"]
        client.cookies.clear()
        client.headers["Authorization"] = f"Bearer {tokens[username]}"
        return client

    return _login


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Debian's chromium through Playwright, one per test module: two sync Playwrights cannot share a thread, and
    a live one keeps an event loop running that other tests' asyncio.run() would collide with."""
    import os
    import shutil

    from hotline.core.testing import launch_chromium

    chromium = os.environ.get("HOTLINE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.fail("Debian's chromium is required for browser tests: run ./scripts/test, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real `hotline serve` on a fresh database seeded through the CLI (one per test module)."""
    from hotline.core.testing import LiveServer

    name = request.module.__name__.rsplit(".", 1)[-1].replace("test_", "")[:20]
    server = LiveServer(fresh_database_url(tmp_path_factory.mktemp("live"), name))
    server.run_cli("seed", "--customers", "300", "--no-history", "--json")
    server.start()
    yield server
    server.stop()
