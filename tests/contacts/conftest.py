"""Contacts fixtures: a runtime on the test's rolled-back connection, demo agents, a live server helper."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.contacts.runtime import ContactRuntime
from hotline.core.events import EventHub
from hotline.core.testing import LiveServer
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


PASSWORD = "hotline-demo-2026"


@pytest.fixture(scope="module")
def live(live_server):  # type: ignore[no-untyped-def]
    """The module's live server (tests/conftest.py)."""
    return live_server


@pytest.fixture
def http() -> Iterator[Callable[..., httpx.Client]]:
    """Signed-in HTTP clients on a live server: `http(live, "agent")` (bearer token; `.token` for the socket)."""
    clients: list[httpx.Client] = []

    def sign_in(server: LiveServer, username: str) -> httpx.Client:
        client = httpx.Client(base_url=server.url, timeout=30)
        r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        r.raise_for_status()
        client.token = r.json()["token"]  # type: ignore[attr-defined]
        client.headers["Authorization"] = "Bearer " + client.token  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield sign_in
    for c in clients:
        c.close()


@pytest.fixture
def regular_number(live: LiveServer) -> str:
    """A regular (non-VIP) customer's number of the first province on the live server's database."""
    from sqlalchemy import create_engine

    from hotline.customers.models import Customer, CustomerNumber

    eng = create_engine(live.database_url)
    with eng.connect() as conn:
        n = conn.execute(select(CustomerNumber.number).join(Customer).where(Customer.segment == "regular")
                         .order_by(Customer.id).limit(1)).scalar_one()
    eng.dispose()
    return str(n)
