"""Published schedules and intraday figures on a real database (SQLite, or PostgreSQL when
HOTLINE_TEST_DATABASE_URL is set): roster mapping, versions, org scope, adherence from the state log."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from hotline.contacts.models import AgentStateLog, Contact, ContactQueue
from hotline.core.audit import SYSTEM
from hotline.core.auth import Principal
from hotline.core.clock import LOCAL_TZ
from hotline.core.errors import NotFound
from hotline.org.models import OrgUnit, User, UserRole, UserSkill
from hotline.wfm import schedule as sched
from hotline.wfm import service

DAY = date(2025, 6, 3)
MIDNIGHT = datetime(2025, 6, 3)  # local, naive: as schedule.solve writes it
_n = itertools.count(1)


@dataclass
class World:
    prov: OrgUnit
    other: OrgUnit
    team: OrgUnit
    agents: list[User]
    qa: User
    planner: Principal
    stranger: Principal


def _unit(db: Session, kind: str, parent: OrgUnit | None) -> OrgUnit:
    u = OrgUnit(kind=kind, code=f"w{next(_n)}-{id(db) % 99991}", name=f"{kind}{next(_n)}",
                parent_id=parent.id if parent else None)
    db.add(u)
    db.flush()
    u.path = f"{parent.path if parent else '/'}{u.id}/"
    db.flush()
    return u


def _user(db: Session, unit: OrgUnit, role: str, skills: dict[str, int]) -> User:
    k = next(_n)
    u = User(username=f"wfm{k}-{id(db) % 99991}", display_name=f"员工{k}", password_hash="x", unit_id=unit.id,
             created_at=datetime(2025, 1, 1, tzinfo=UTC))
    u.roles = [UserRole(role=role)]
    u.skills = [UserSkill(skill=s, level=lv) for s, lv in skills.items()]
    db.add(u)
    db.flush()
    return u


def _planner(unit: OrgUnit, user_id: int) -> Principal:
    return Principal.build(user_id=user_id, username="planner", display_name="吴刚", roles={"workforce_planner"},
                           unit_path=unit.path, province_path=unit.path, province_id=unit.id)


@pytest.fixture
def world(db: Session) -> World:
    hq = _unit(db, "hq", None)
    prov, other = _unit(db, "province", hq), _unit(db, "province", hq)
    team = _unit(db, "team", _unit(db, "region", prov))
    agents = [_user(db, team, "agent", {"regular": lv}) for lv in (2, 5, 3)]
    qa = _user(db, team, "qa_inspector", {"regular": 4})
    _user(db, team, "trainer", {})  # no skill: not in the pool
    db.add(ContactQueue(key=f"{prov.code}.regular", code="regular", unit_id=prov.id, org_path=prov.path,
                        name="普通话务", sl_threshold_s=20.0, sl_target=0.8, short_abandon_s=5.0))
    db.flush()
    return World(prov, other, team, agents, qa, _planner(prov, 900001), _planner(other, 900002))


def _result() -> sched.ScheduleResult:
    """Two roster agents on 08:00-16:30 with a meal and two rests; 48 half-hour intervals."""
    acts = []
    for agent, start_h in (("A001", 8), ("A002", 9)):
        s0 = MIDNIGHT + timedelta(hours=start_h)
        acts += [sched.Activity(agent, DAY, "shift", s0, s0 + timedelta(minutes=510), "regular"),
                 sched.Activity(agent, DAY, "break", s0 + timedelta(minutes=120), s0 + timedelta(minutes=135), "regular"),
                 sched.Activity(agent, DAY, "meal", s0 + timedelta(minutes=240), s0 + timedelta(minutes=270), "regular"),
                 sched.Activity(agent, DAY, "break", s0 + timedelta(minutes=375), s0 + timedelta(minutes=390), "regular")]
    required = [0] * 16 + [2] * 18 + [0] * 14
    return sched.ScheduleResult("OPTIMAL", acts, 30, [MIDNIGHT + timedelta(minutes=30 * i) for i in range(48)],
                                {"regular": required}, {"regular": [0] * 16 + [1] * 2 + [2] * 14 + [1] * 2 + [0] * 14},
                                0.1, [sched.Agent("A001", ("regular",)), sched.Agent("A002", ("regular",))])


def _forecast() -> dict[str, tuple[list[float], list[float]]]:
    return {"regular": ([0.0] * 16 + [20.0] * 18 + [0.0] * 14, [180.0] * 48)}


def test_publish_maps_roster_to_skilled_users_and_versions(db: Session, world: World) -> None:
    now = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
    report = service.publish(db_session=db, actor=SYSTEM, now=now, unit_id=world.prov.id, result=_result(),
                             forecast=_forecast(), principal=world.planner)
    # highest skill level first: A001 -> level 5, A002 -> level 3; the QA inspector is never rostered
    assert report.mapping == {"A001": world.agents[1].id, "A002": world.agents[2].id} and report.unmapped == []
    (plan,) = report.schedules
    assert plan.version == 1 and plan.day == DAY and len(plan.activities) == 8
    shift = next(a for a in plan.activities if a.user_id == world.agents[1].id and a.activity == "shift")
    assert shift.start_at == datetime(2025, 6, 3, 8, 0, tzinfo=LOCAL_TZ).astimezone(UTC)
    again = service.publish(db_session=db, actor=SYSTEM, now=now, unit_id=world.prov.id, result=_result(),
                            forecast=_forecast())
    assert again.schedules[0].id == plan.id and again.schedules[0].version == 2
    with pytest.raises(NotFound):  # a planner of another province may not publish here
        service.publish(db_session=db, actor=SYSTEM, now=now, unit_id=world.prov.id, result=_result(),
                        principal=world.stranger)


def test_map_roster_leaves_agents_without_a_skilled_user() -> None:
    class U:  # the attributes map_roster reads
        def __init__(self, id: int, skills: dict[str, int]) -> None:
            self.id, self.skills = id, [UserSkill(skill=k, level=v) for k, v in skills.items()]

    mapping, unmapped = service.map_roster(
        [sched.Agent("A2", ("vip",)), sched.Agent("A1", ("regular",)), sched.Agent("A3", ("regular",))],
        [U(4, {"regular": 1}), U(3, {"regular": 1, "vip": 2})],  # type: ignore[list-item]
    )
    assert mapping == {"A1": 3, "A3": 4} and unmapped == ["A2"]


def test_reads_are_scoped(db: Session, world: World) -> None:
    service.publish(db_session=db, actor=SYSTEM, now=datetime(2025, 6, 2, tzinfo=UTC), unit_id=world.prov.id,
                    result=_result(), forecast=_forecast())
    mine = service.schedule_view(db_session=db, principal=world.planner, day=DAY)
    assert [p["queue"] for p in mine["plans"]] == ["regular"] and len(mine["agents"]) == 2
    assert mine["agents"][0]["activities"][0] == {"activity": "shift", "start": "2025-06-03 08:00",
                                                  "end": "2025-06-03 16:30"}
    theirs = service.schedule_view(db_session=db, principal=world.stranger, day=DAY)
    assert theirs["plans"] == [] and theirs["agents"] == []
    with pytest.raises(NotFound):
        service.schedule_view(db_session=db, principal=world.stranger, day=DAY, unit_id=world.prov.id)
    assert service.intraday_view(db_session=db, principal=world.stranger, day=DAY,
                                 now=datetime(2025, 6, 3, 12, tzinfo=UTC))["adherence"] == []


def test_intraday_from_contacts_and_state_log(db: Session, world: World) -> None:
    service.publish(db_session=db, actor=SYSTEM, now=datetime(2025, 6, 2, tzinfo=UTC), unit_id=world.prov.id,
                    result=_result(), forecast=_forecast())
    local = lambda h, m=0: datetime(2025, 6, 3, h, m, tzinfo=LOCAL_TZ).astimezone(UTC)
    star = world.agents[1]  # A001, 08:00-16:30: logs in at 08:15, open segment still running
    db.add_all([AgentStateLog(user_id=star.id, org_path=world.team.path, state="ready", started_at=local(8, 15),
                              ended_at=local(9, 0)),
                AgentStateLog(user_id=star.id, org_path=world.team.path, state="talking", started_at=local(9, 0))])
    key = f"{world.prov.code}.regular"
    for i in range(90):  # 90 calls 08:00-09:30 (forecast: 60): answered in 10 s, handled in 200 s
        q = local(8) + timedelta(seconds=60 * i)
        db.add(Contact(channel="voice", state="ended", org_path=world.prov.path, queue=key, arrived_at=q,
                       queued_at=q, answered_at=q + timedelta(seconds=10), talk_end_at=q + timedelta(seconds=190),
                       acw_end_at=q + timedelta(seconds=210), outcome="answered", agent_id=star.id))
    db.flush()
    view = service.intraday_view(db_session=db, principal=world.planner, day=DAY, now=local(9, 30))
    (q,) = view["queues"]
    assert q["elapsed"] == 19 and q["offered"][16:19] == [30, 30, 30] and q["offered"][19] is None
    assert q["service_level"][16] == 1.0 and q["aht_s"][16] == 200.0
    assert q["volume_ratio"] > 1 and q["reforecast_calls"][19] > 20.0
    assert q["backup"]["people"] and q["backup"]["people"][0]["user_id"] == world.qa.id
    rows = {r["user_id"]: r for r in view["adherence"]}
    assert rows[star.id]["scheduled_s"] == 90 * 60 and rows[star.id]["adherent_s"] == 75 * 60
    assert rows[star.id]["state_now"] == "talking" and rows[star.id]["in_adherence_now"] is True
    assert rows[world.agents[2].id]["adherence"] == 0.0  # A002 from 09:00, never logged in
    flat = service.adherence_export_rows(view)
    assert {r["employee"] for r in flat} == {star.username, world.agents[2].username}


def test_last_nights_shift_counts_from_midnight(db: Session, world: World) -> None:
    eve = DAY - timedelta(days=1)
    s0 = MIDNIGHT - timedelta(hours=2)  # 22:00 the evening before
    night = sched.ScheduleResult(
        "OPTIMAL", [sched.Activity("A001", eve, "shift", s0, s0 + timedelta(minutes=510), "regular")], 30,
        [MIDNIGHT - timedelta(days=1) + timedelta(minutes=30 * i) for i in range(48)], {"regular": [0] * 48},
        {"regular": [0] * 48}, 0.0, [sched.Agent("A001", ("regular",))])
    service.publish(db_session=db, actor=SYSTEM, now=datetime(2025, 6, 1, tzinfo=UTC), unit_id=world.prov.id,
                    result=night)
    view = service.intraday_view(db_session=db, principal=world.planner, day=DAY,
                                 now=datetime(2025, 6, 4, tzinfo=UTC))
    (row,) = view["adherence"]  # no plan published for DAY itself
    assert row["user_id"] == world.agents[1].id and row["scheduled_s"] == 390 * 60 and view["queues"] == []
