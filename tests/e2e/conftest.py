from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.core.testing import LiveServer, fresh_database_url


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server on a fresh, seeded database."""
    server = LiveServer(fresh_database_url(tmp_path_factory.mktemp("e2e"), "e2e"))
    server.run_cli("seed", "--customers", "300", "--json")
    server.start()
    yield server
    server.stop()
