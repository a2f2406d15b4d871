"""Ticket fixtures: a small centre (province, team, six back-office departments), principals for each role,
a VIP and a regular customer, the seeded classification trees."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.core import migrate
from hotline.core.audit import Actor
from hotline.core.auth import Principal
from hotline.core.db import make_engine, make_sessionmaker
from hotline.core.testing import fresh_database_url
from hotline.customers.models import Customer, CustomerNumber
from hotline.org.models import OrgUnit
from hotline.tickets import schemas, service
from hotline.tickets.models import TicketCategory

DEPTS = [("network", "网络部"), ("billing", "计费中心"), ("data", "数据部"), ("marketing", "市场部"),
         ("wireless", "无线中心"), ("difficult", "疑难专席")]


@dataclass
class World:
    province: OrgUnit
    team: OrgUnit
    depts: dict[str, OrgUnit]
    agent: Principal
    agent2: Principal
    expert: Principal
    manager: Principal
    backoffice: dict[str, Principal]
    vip: Customer
    regular: Customer
    phen: dict[str, int]
    cause: dict[str, int]

    def actor(self, p: Principal) -> Actor:
        return Actor(p.user_id, p.username)

    def create(self, db: Session, now: datetime, by: Principal | None = None, **kw: object):  # type: ignore[no-untyped-def]
        data = {"type": "fault", "title": "小灵通无信号", "phenomenon_id": self.phen["mobile.signal.no_signal"],
                "customer_id": self.regular.id, "area": "长沙岳麓", "cell_id": "CS-0421", "product": "小灵通", **kw}
        by = by or self.agent
        return service.do_create(db_session=db, principal=by, actor=self.actor(by), now=now,
                                 data=schemas.TicketCreate(**data))

    def act(self, db: Session, now: datetime, name: str, t, by: Principal | None = None, **kw: object):  # type: ignore[no-untyped-def]
        by = by or self.expert
        fn = getattr(service, f"do_{name}")
        return fn(db_session=db, principal=by, actor=self.actor(by), now=now, ticket_id=t.id, version=t.version, **kw)

    def to_department(self, db: Session, now: datetime, dept: str = "network", **kw: object):  # type: ignore[no-untyped-def]
        t = self.create(db, now, **kw)
        t = self.act(db, now, "frontline_try", t, by=self.agent, note="重启终端无效")
        t = self.act(db, now, "to_expert", t, by=self.agent)
        return self.act(db, now, "dispatch", t, dept_id=self.depts[dept].id)


_counter = iter(range(1, 10**9))


def _unit(db: Session, kind: str, name: str, parent: OrgUnit | None) -> OrgUnit:
    u = OrgUnit(kind=kind, code=f"t{next(_counter)}-{kind}-{id(db) % 100000}", name=name, parent_id=parent.id if parent else None)
    db.add(u)
    db.flush()
    u.path = f"{parent.path if parent else '/'}{u.id}/"
    db.flush()
    return u


def build_world(db: Session, now: datetime) -> World:
    hq = _unit(db, "hq", "总部", None)
    prov = _unit(db, "province", "湖南", hq)
    region = _unit(db, "region", "长沙", prov)
    team = _unit(db, "team", "10000 一班", region)
    depts = {code: _unit(db, "department", name, prov) for code, name in DEPTS}
    base = 1000 + next(_counter) * 100

    def person(n: int, name: str, roles: set[str], unit: OrgUnit) -> Principal:
        return Principal.build(user_id=base + n, username=name, display_name=name, roles=roles, unit_path=unit.path,
                               team_path=team.path if unit is team else None, region_path=region.path,
                               province_path=prov.path, province_id=prov.id)

    backoffice = {code: person(10 + i, f"bo_{code}", {"backoffice"}, d) for i, (code, d) in enumerate(depts.items())}
    for code, p in list(backoffice.items()):  # a department member's team scope is their department
        backoffice[code] = Principal.build(user_id=p.user_id, username=p.username, display_name=p.display_name,
                                           roles={"backoffice"}, unit_path=p.unit_path, province_path=prov.path,
                                           province_id=prov.id)
    vip = Customer(province_id=prov.id, org_path=prov.path, area="长沙开福", name="王金卡", segment="vip",
                   vip_level="gold", created_at=now)
    regular = Customer(province_id=prov.id, org_path=prov.path, area="长沙岳麓", name="李普通", created_at=now)
    db.add_all([vip, regular])
    db.flush()
    db.add_all([CustomerNumber(customer_id=vip.id, number=f"139{base:08d}"),
                CustomerNumber(customer_id=regular.id, number=f"138{base:08d}")])
    service.seed_categories(db_session=db)
    cats = list(db.execute(select(TicketCategory)).scalars())
    db.flush()
    return World(
        province=prov, team=team, depts=depts,
        agent=person(1, "agent1", {"agent"}, team), agent2=person(2, "agent2", {"agent"}, team),
        expert=person(3, "expert1", {"expert_seat"}, team), manager=person(4, "manager", {"centre_manager"}, prov),
        backoffice=backoffice, vip=vip, regular=regular,
        phen={c.code: c.id for c in cats if c.tree == "phenomenon"},
        cause={c.code: c.id for c in cats if c.tree == "cause"},
    )


@pytest.fixture
def world(db: Session, clock) -> World:  # type: ignore[no-untyped-def]
    return build_world(db, clock.now())


@pytest.fixture(scope="module")
def own_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of the module's own, for tests that commit (concurrency, poller)."""
    eng = make_engine(fresh_database_url(tmp_path_factory.mktemp("tk"), f"tk{next(_counter)}"))
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def factory(own_engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(own_engine)


START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


@pytest.fixture(scope="module")
def committed_world(factory: sessionmaker[Session]) -> tuple[World, datetime]:
    """A world committed to the module's own database (for tests with several sessions)."""
    with factory() as db, db.begin():
        w = build_world(db, START)
    return w, START


# ---------------------------------------------------------------- a live server and a browser (e2e)
@pytest.fixture(scope="module")
def live_tickets(live_server):  # type: ignore[no-untyped-def]
    """The module's live server (tests/conftest.py)."""
    return live_server


@pytest.fixture
def chromium(browser):  # type: ignore[no-untyped-def]
    """The session's one browser."""
    return browser
