"""Fixtures for the simulator's browser test: a live server on a fresh seeded database, and chromium."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sim_live(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real server on a fresh, seeded database."""
    from hotline.core.testing import LiveServer, fresh_database_url

    server = LiveServer(fresh_database_url(tmp_path_factory.mktemp("sime2e"), "sime2e"))
    server.run_cli("seed", "--customers", "50", "--json")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sim_browser(browser):  # type: ignore[no-untyped-def]
    """The session's one browser."""
    return browser
