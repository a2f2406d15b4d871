"""No unmasked phone or ID number leaves the server unless revealed; the OpenAPI holds up under schemathesis."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.security import find_unmasked, mask_id_number, mask_phone, scrub
from hotline.customers.models import Customer


def test_masking_helpers() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id_number("42010119900101123X") == "420***********123X"
    assert find_unmasked("call 13812341234 id 42010119900101123X") == ["13812341234", "42010119900101123X"]
    assert find_unmasked(scrub("call 13812341234 id 42010119900101123X")) == []


def test_no_response_or_log_line_carries_a_full_number(app, login, seeded, caplog) -> None:  # type: ignore[no-untyped-def]
    with Session(seeded) as db:
        customers = db.execute(select(Customer).order_by(Customer.id).limit(5)).scalars().all()
        numbers = [c.numbers[0].number for c in customers]
    caplog.set_level(logging.DEBUG)
    bodies = []
    for who in ("agent", "teamlead", "supervisor", "admin", "manager"):
        client = login(who)
        for c, number in zip(customers, numbers):
            bodies.append(client.get("/api/customers", params={"q": number}).text)
            bodies.append(client.get(f"/api/customers/{c.id}").text)
            bodies.append(client.get(f"/customers/{c.id}").text)
            bodies.append(client.get("/customers", params={"q": number[-4:]}).text)
        bodies.append(client.get("/api/audit").text)
        bodies.append(client.get("/audit").text)
        bodies.append(client.get("/api/org/users").text)
    logging.getLogger("hotline.test").info("caller %s asked about id %s", numbers[0], customers[0].id_number)
    leaks = [hit for body in bodies for hit in find_unmasked(body)]
    assert leaks == [], leaks[:5]
    log_text = "\n".join(r.getMessage() for r in caplog.records)
    assert numbers[0] not in log_text and find_unmasked(log_text) == []


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A deployment of its own: the fuzzer's random writes must not disturb other tests' data."""
    from datetime import UTC, datetime

    from hotline.core import migrate
    from hotline.core.config import Settings
    from hotline.core.db import make_engine, make_sessionmaker
    from hotline.core.testing import fresh_database_url
    from hotline.main import create_app
    from hotline.seed import seed

    url = fresh_database_url(tmp_path_factory.mktemp("fuzz"), "fuzz")
    engine = make_engine(url)
    migrate.upgrade(engine)
    with make_sessionmaker(engine)() as session:
        seed(session, now=datetime.now(UTC), customers=60)
        session.commit()
    engine.dispose()
    return create_app(Settings(database_url=url, login_rate_per_minute=1000))


@pytest.mark.slow
def test_openapi_fuzz_no_server_errors(fuzz_app) -> None:  # type: ignore[no-untyped-def]
    """Schemathesis against our OpenAPI, signed in as an administrator and as an agent: no 5xx."""
    import schemathesis
    from fastapi.testclient import TestClient
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_app)
    failures: list[str] = []
    for who in ("admin", "agent"):
        login = TestClient(fuzz_app).post("/api/auth/login", json={"username": who, "password": "hotline-demo-2026"})
        token = "Bearer " + login.json()["token"]
        for op in schema.get_all_operations():
            operation = op.ok()
            if operation.method.upper() == "POST" and operation.path == "/api/auth/logout":
                continue  # would end the session the rest of the run uses

            @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            @given(case=operation.as_strategy())
            def run(case):  # type: ignore[no-untyped-def]
                response = case.call(headers={"Authorization": token})
                if response.status_code >= 500:
                    failures.append(f"{who} {case.method} {case.formatted_path}: {response.status_code}")

            run()
    assert failures == [], failures[:10]
