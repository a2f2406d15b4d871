"""The authorisation matrix, generated: every GET API route with an id × every demo persona × targets in the
own team, another team, another region and another province. Each cell must answer what the declared policy
(core.auth.ROLES through `allowed`) says: 403 without the permission, 404 out of scope, 200 in scope."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.auth import Resource, allowed
from hotline.customers.models import Customer
from hotline.org import service as org_service
from hotline.org.models import OrgUnit, User

PERSONAS = ["agent", "expert", "teamlead", "shiftlead", "supervisor", "qa", "trainer", "editor", "planner",
            "backoffice", "manager", "admin", "hq"]


def _routes(app):  # type: ignore[no-untyped-def]
    """(path, permission) for GET API routes guarded by `require` with exactly one id parameter."""
    found = []

    def walk(routes):  # type: ignore[no-untyped-def]
        for r in routes:
            if isinstance(r, APIRoute):
                yield r
            elif hasattr(r, "original_router"):  # FastAPI's included router wrapper
                yield from walk(r.original_router.routes)
            elif hasattr(r, "routes"):
                yield from walk(r.routes)

    for route in walk(app.router.routes):
        if "GET" not in route.methods or not route.path.startswith("/api"):
            continue
        perms = [getattr(d.call, "permission", None) for d in route.dependant.dependencies]
        perms = [p for p in perms if p]
        params = re.findall(r"{(\w+)}", route.path)
        if perms and len(params) == 1:
            found.append((route.path, params[0], perms[0]))
    return found


def _targets(db: Session) -> dict[str, list[tuple[str, int, Resource]]]:
    """Objects to probe, by id parameter name: (label, id, where it sits)."""
    agent = db.execute(select(User).where(User.username == "agent")).scalar_one()
    team = agent.unit
    region = db.get(OrgUnit, team.parent_id)
    prov = db.get(OrgUnit, region.parent_id)
    units = db.execute(select(OrgUnit).order_by(OrgUnit.id)).scalars().all()
    other_team = next(u for u in units if u.kind == "team" and u.parent_id == region.id and u.id != team.id)
    other_region_team = next(u for u in units if u.kind == "team" and u.path.startswith(prov.path)
                             and not u.path.startswith(region.path))
    other_prov = next(u for u in units if u.kind == "province" and u.id != prov.id)
    other_prov_team = next(u for u in units if u.kind == "team" and u.path.startswith(other_prov.path))

    def user_in(unit: OrgUnit, exclude: int | None = None) -> User:
        return db.execute(select(User).where(User.unit_id == unit.id, User.id != (exclude or 0))
                          .order_by(User.id)).scalars().first()

    users = [("self", agent), ("same team", user_in(team, agent.id)), ("other team", user_in(other_team)),
             ("other region", user_in(other_region_team)), ("other province", user_in(other_prov_team))]

    def customer_of(p: OrgUnit) -> Customer:
        return db.execute(select(Customer).where(Customer.province_id == p.id).limit(1)).scalar_one()

    return {
        "user_id": [(label, u.id, Resource(u.unit.path, owner_id=u.id)) for label, u in users],
        "customer_id": [("own province", customer_of(prov).id, Resource(prov.path)),
                        ("other province", customer_of(other_prov).id, Resource(other_prov.path))],
        "unit_id": [("own team", team.id, Resource(team.path)), ("other team", other_team.id, Resource(other_team.path)),
                    ("other province", other_prov.id, Resource(other_prov.path))],
    }


def test_matrix(app, login, seeded) -> None:  # type: ignore[no-untyped-def]
    routes = _routes(app)
    assert any(p == "customer_id" for _, p, _ in routes), "customer routes are in the matrix"
    mismatches, cells = [], 0
    with Session(seeded) as db:
        targets = _targets(db)
        principals = {name: org_service.principal_for(
            db_session=db, user=db.execute(select(User).where(User.username == name)).scalar_one())
            for name in PERSONAS}
    for path, param, permission in routes:
        if param not in targets:
            continue  # a domain's own matrix covers its ids
        for name in PERSONAS:
            client = login(name)
            principal = principals[name]
            for label, obj_id, where in targets[param]:
                url = path.replace("{" + param + "}", str(obj_id))
                if path.endswith("/standards/{key}"):
                    continue
                expected = 403 if not principal.can(permission) else (200 if allowed(principal, permission, where)
                                                                     else 404)
                got = client.get(url).status_code
                cells += 1
                if got != expected:
                    mismatches.append(f"{name:10} GET {url:40} ({label}): expected {expected}, got {got}")
    assert cells >= 13 * 7
    assert not mismatches, "\n".join(mismatches)
