"""Fixtures for the simulator's browser test: a live server on a fresh seeded database, and chromium."""

from __future__ import annotations

import os
import shutil

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


@pytest.fixture(scope="module")
def sim_browser():  # type: ignore[no-untyped-def]
    chromium = os.environ.get("HOTLINE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.fail("Debian's chromium is required for browser tests: run ./scripts/test, which installs it")
    from playwright.sync_api import sync_playwright

    from hotline.core.testing import launch_chromium

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()
