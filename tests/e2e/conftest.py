from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from hotline.core.testing import LiveServer, fresh_database_url, launch_chromium


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server on a fresh, seeded database."""
    server = LiveServer(fresh_database_url(tmp_path_factory.mktemp("e2e"), "e2e"))
    server.run_cli("seed", "--customers", "300", "--json")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    chromium = os.environ.get("HOTLINE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.fail("Debian's chromium is required for browser tests: run ./scripts/test, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()
