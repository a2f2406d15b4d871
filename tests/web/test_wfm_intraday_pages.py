"""/wfm/schedule, /wfm/intraday, their CSV/Excel exports and /api/wfm/*: on the seeded app, with a schedule
published for a team of the demo province (and removed after the module); scope and roles enforced."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from hotline.contacts.models import AgentStateLog
from hotline.core.audit import SYSTEM
from hotline.core.clock import LOCAL_TZ
from hotline.core.db import make_sessionmaker
from hotline.org.models import OrgUnit, User, UserRole, UserSkill
from hotline.wfm import schedule as sched
from hotline.wfm import service
from hotline.wfm.models import WfmSchedule

DAY = date(2025, 6, 3)
MIDNIGHT = datetime(2025, 6, 3)


def _result() -> sched.ScheduleResult:
    acts = []
    for agent, start_h in (("A001", 8), ("A002", 12)):
        s0 = MIDNIGHT + timedelta(hours=start_h)
        acts += [sched.Activity(agent, DAY, "shift", s0, s0 + timedelta(minutes=510), "regular"),
                 sched.Activity(agent, DAY, "meal", s0 + timedelta(minutes=240), s0 + timedelta(minutes=270), "regular")]
    return sched.ScheduleResult("OPTIMAL", acts, 30, [MIDNIGHT + timedelta(minutes=30 * i) for i in range(48)],
                                {"regular": [0] * 16 + [3] * 24 + [0] * 8}, {"regular": [0] * 16 + [1] * 8 + [2] * 9 + [1] * 7 + [0] * 8},
                                0.1, [sched.Agent("A001", ("regular",)), sched.Agent("A002", ("regular",))])


@pytest.fixture(scope="module")
def published(seeded: Engine) -> Iterator[dict[str, Any]]:
    """A team of two agents (one with a formula-like name) under the demo province, a QA inspector with the
    skill, a planner of the other province, and the team's published day."""
    with make_sessionmaker(seeded)() as db:
        hb = db.execute(select(OrgUnit).where(OrgUnit.code == "HB")).scalar_one()
        fj = db.execute(select(OrgUnit).where(OrgUnit.code == "FJ")).scalar_one()
        pw = db.execute(select(User.password_hash).where(User.username == "planner")).scalar_one()
        team = OrgUnit(kind="team", code="WFM-TEST-T", name="排班测试组", parent_id=hb.id)
        db.add(team)
        db.flush()
        team.path = f"{hb.path}{team.id}/"
        made = []
        for name, role, unit, skills in (("=1+2", "agent", team, {"regular": 5}), ("李排班", "agent", team, {"regular": 4}),
                                         ("QA备岗", "qa_inspector", team, {"regular": 5}),
                                         ("fjplanner", "workforce_planner", fj, {})):
            u = User(username=f"wfmt_{len(made)}", display_name=name, password_hash=pw, unit_id=unit.id,
                     created_at=datetime.now(UTC))
            u.roles = [UserRole(role=role)]
            u.skills = [UserSkill(skill=k, level=v) for k, v in skills.items()]
            db.add(u)
            made.append(u)
        db.flush()
        service.publish(db_session=db, actor=SYSTEM, now=datetime.now(UTC), unit_id=team.id, result=_result(),
                        forecast={"regular": ([0.0] * 16 + [30.0] * 24 + [0.0] * 8, [200.0] * 48)})
        start = datetime(2025, 6, 3, 8, 5, tzinfo=LOCAL_TZ)
        db.add(AgentStateLog(user_id=made[0].id, org_path=team.path, state="ready", started_at=start,
                             ended_at=start + timedelta(hours=3)))
        db.commit()
        ids = [u.id for u in made]
        yield {"team": team.id, "users": made, "fj": made[3].username}
        db.execute(delete(AgentStateLog).where(AgentStateLog.user_id.in_(ids)))
        for row in db.execute(select(WfmSchedule).where(WfmSchedule.unit_id == team.id)).scalars():
            db.delete(row)
        db.flush()
        db.execute(delete(UserSkill).where(UserSkill.user_id.in_(ids)))
        db.execute(delete(UserRole).where(UserRole.user_id.in_(ids)))
        db.execute(delete(User).where(User.id.in_(ids)))
        db.execute(delete(OrgUnit).where(OrgUnit.id == team.id))
        db.commit()


def test_schedule_page_draws_gantt_and_coverage(login, published) -> None:  # type: ignore[no-untyped-def]
    r = login("planner").get("/wfm/schedule", params={"date": DAY.isoformat()})
    assert r.status_code == 200
    assert "李排班" in r.text and "=1+2" in r.text and "排班测试组" in r.text
    assert r.text.count("data-chart=") == 2 and 'id="gantt"' in r.text  # Gantt + one queue's coverage
    assert "08:00–16:30" in r.text and "12:00–20:30" in r.text
    assert "已发布排班" in r.text  # Chinese first


def test_schedule_exports_neutralise_formulas(login, published) -> None:  # type: ignore[no-untyped-def]
    client = login("planner")
    csv = client.get("/wfm/schedule.csv", params={"date": DAY.isoformat(), "unit_id": published["team"]})
    assert csv.status_code == 200 and csv.text.startswith("\ufeff日期")
    assert "'=1+2" in csv.text and "2025-06-03 08:00" in csv.text and csv.text.count("\n") == 1 + 4
    from openpyxl import load_workbook

    xl = client.get("/wfm/schedule.xlsx", params={"date": DAY.isoformat(), "unit_id": published["team"]})
    ws = load_workbook(io.BytesIO(xl.content)).active
    names = [ws.cell(row=r, column=3).value for r in range(3, ws.max_row + 1)]
    assert "=1+2" in names and ws.cell(row=3 + names.index("=1+2"), column=3).data_type == "s"
    adh = client.get("/wfm/intraday/adherence.csv", params={"date": DAY.isoformat(), "unit_id": published["team"]})
    assert adh.status_code == 200 and "'=1+2" in adh.text and "遵从率" in adh.text


def test_intraday_page_and_api(login, published) -> None:  # type: ignore[no-untyped-def]
    client = login("planner")
    r = client.get("/wfm/intraday", params={"date": DAY.isoformat(), "sort": "out"})
    assert r.status_code == 200 and r.text.count("data-chart=") == 2
    assert "当日已结束" in r.text and "遵从率" in r.text and "李排班" in r.text
    data = client.get("/api/wfm/intraday", params={"date": DAY.isoformat(), "unit_id": published["team"]}).json()
    (q,) = data["queues"]
    assert q["code"] == "regular" and q["elapsed"] == 48 and q["forecast_calls"][16] == 30.0
    rows = {r["name"]: r for r in data["adherence"]}
    # =1+2: 08:00-16:30 with a meal 12:00-12:30; ready 08:05-11:05 -> 180 adherent minutes of 480 scheduled
    assert rows["=1+2"]["scheduled_s"] == 510 * 60 and rows["=1+2"]["adherent_s"] == 180 * 60
    assert rows["李排班"]["adherence"] == 0.0
    sched_json = client.get("/api/wfm/schedule", params={"date": DAY.isoformat(), "unit_id": published["team"]}).json()
    assert sched_json["plans"][0]["version"] == 1 and len(sched_json["agents"]) == 2


def test_other_province_planner_sees_none_of_them(login, published) -> None:  # type: ignore[no-untyped-def]
    client = login(published["fj"])
    page = client.get("/wfm/schedule", params={"date": DAY.isoformat()})
    assert page.status_code == 200 and "李排班" not in page.text and "data-chart=" not in page.text
    assert client.get("/api/wfm/schedule", params={"date": DAY.isoformat()}).json()["agents"] == []
    assert client.get("/api/wfm/schedule", params={"date": DAY.isoformat(),
                                                   "unit_id": published["team"]}).status_code == 404
    assert client.get("/api/wfm/intraday", params={"date": DAY.isoformat(),
                                                   "unit_id": published["team"]}).status_code == 404
    assert "李排班" not in client.get("/wfm/intraday", params={"date": DAY.isoformat()}).text
    csv = client.get("/wfm/schedule.csv", params={"date": DAY.isoformat()})
    assert csv.status_code == 200 and csv.text.count("\n") == 1


def test_agents_may_not_see_schedules(login, published) -> None:  # type: ignore[no-untyped-def]
    client = login("agent")
    assert client.get("/wfm/schedule").status_code == 403
    assert client.get("/wfm/intraday").status_code == 403
    assert client.get("/api/wfm/intraday").status_code == 403
    assert login("planner").get("/wfm/intraday", params={"sort": "bogus"}).status_code == 422
