"""The one policy function: scopes, province boundary, self scope."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hotline.core.auth import ROLES, SCOPES, Principal, Resource, allowed, grants_for, visible_prefix

PROV = "/1/2/"
REGION = "/1/2/3/"
TEAM = "/1/2/3/4/"


def person(*roles: str, unit: str = TEAM, user_id: int = 10) -> Principal:
    parts = unit.strip("/").split("/")
    paths = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return Principal.build(user_id=user_id, username="u", display_name="u", roles=set(roles), unit_path=unit,
                           province_path=paths[1] if len(paths) > 1 else None,
                           region_path=paths[2] if len(paths) > 2 else None,
                           team_path=paths[3] if len(paths) > 3 else None)


def test_every_role_uses_known_scopes() -> None:
    for role, grants in ROLES.items():
        assert grants, role
        assert set(grants.values()) <= set(SCOPES), role


def test_team_leader_sees_own_team_only() -> None:
    tl = person("team_leader")
    assert allowed(tl, "contacts.read", Resource(TEAM + "9/"))
    assert allowed(tl, "contacts.read", Resource(TEAM))
    assert not allowed(tl, "contacts.read", Resource("/1/2/3/5/"))  # the team next door
    assert not allowed(tl, "contacts.read", Resource("/1/7/"))  # another province


def test_agent_self_scope_needs_ownership() -> None:
    agent = person("agent", user_id=10)
    assert allowed(agent, "contacts.read", Resource(TEAM, owner_id=10))
    assert not allowed(agent, "contacts.read", Resource(TEAM, owner_id=11))
    assert not allowed(agent, "org.manage", Resource(TEAM))


def test_customer_data_never_crosses_a_province() -> None:
    agent = person("agent")
    assert allowed(agent, "customers.read", Resource(PROV))
    assert not allowed(agent, "customers.read", Resource("/1/9/"))
    hq = person("hq_analyst", unit="/1/")
    assert not allowed(hq, "customers.read", Resource(PROV))
    assert visible_prefix(hq, "customers.read") is None
    assert allowed(hq, "reports.aggregate", Resource(PROV))


def test_merged_roles_take_the_widest_scope() -> None:
    merged = grants_for({"agent", "team_leader"})
    assert merged["contacts.read"] == "team"
    assert merged["customers.reveal"] == "province"


@given(st.sampled_from(sorted(ROLES)), st.sampled_from(sorted({p for g in ROLES.values() for p in g})),
       st.sampled_from(["/1/2/3/4/", "/1/2/3/5/", "/1/2/6/", "/1/9/", "/1/"]))
def test_no_grant_no_access(role: str, permission: str, path: str) -> None:
    p = person(role)
    if permission not in ROLES[role]:
        assert not allowed(p, permission, Resource(path, owner_id=p.user_id))
    if allowed(p, permission, Resource(path)):
        assert path.startswith(visible_prefix(p, permission) or "-")
