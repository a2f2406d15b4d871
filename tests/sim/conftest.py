"""Fixtures for the simulator's browser test: a live server on a fresh seeded database, and chromium."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sim_live(live_server):  # type: ignore[no-untyped-def]
    """The module's live server (tests/conftest.py)."""
    return live_server


@pytest.fixture
def sim_browser(browser):  # type: ignore[no-untyped-def]
    """The session's one browser."""
    return browser
