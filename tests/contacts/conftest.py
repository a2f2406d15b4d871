"""Contacts fixtures: a runtime on the test's rolled-back connection, demo agents, a live server helper."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.contacts.runtime import ContactRuntime
from hotline.core.events import EventHub
from hotline.org.models import User


@pytest.fixture
def hub() -> EventHub:
    return EventHub()


@pytest.fixture
def runtime(seeded, db: Session, clock, hub: EventHub) -> ContactRuntime:  # type: ignore[no-untyped-def]
    """A runtime whose sessions share the test's connection (everything is rolled back afterwards)."""
    db.info["hub"] = hub
    factory = sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)
    rt = ContactRuntime(factory, clock, hub)
    rt.rebuild()
    return rt


@pytest.fixture
def users(seeded, db: Session):  # type: ignore[no-untyped-def]
    def get(username: str) -> User:
        return db.execute(select(User).where(User.username == username)).scalar_one()
    return get


@pytest.fixture
def caller_number(seeded, db: Session) -> str:
    """The number of a regular (non-VIP) customer of the first province."""
    from hotline.customers.models import Customer, CustomerNumber
    from hotline.org.models import OrgUnit

    prov = db.execute(select(OrgUnit).where(OrgUnit.kind == "province").order_by(OrgUnit.id)).scalars().first()
    return db.execute(select(CustomerNumber.number).join(Customer).where(
        Customer.province_id == prov.id, Customer.segment == "regular").order_by(Customer.id).limit(1)).scalar_one()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`hotline serve` in a subprocess on a loopback port (SIGKILL-able)."""

    def __init__(self, database_url: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HOTLINE_DATABASE_URL": database_url, "HOTLINE_LOGIN_RATE_PER_MINUTE": "10000",
                    **env}
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        return subprocess.run([sys.executable, "-m", "hotline", *args], env=self.env, check=True,
                              capture_output=True, timeout=300).stdout.decode()

    def start(self, timeout: float = 60) -> "Server":
        self.proc = subprocess.Popen([sys.executable, "-m", "hotline", "serve", "--port", str(self.port)],
                                     env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + (self.proc.stderr.read() if self.proc.stderr else b"").decode())
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def server_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A seeded SQLite file for live servers (one per test module)."""
    path: Path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    url = f"sqlite:///{path}"
    Server(url).cli("seed", "--customers", "200", "--json")
    return url


@pytest.fixture(scope="module")
def live(server_db: str) -> Iterator[Server]:
    server = Server(server_db).start()
    yield server
    server.stop()
