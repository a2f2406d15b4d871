"""The demo traffic follows the published schedule: scheduled agents work their shifts and take their breaks
(with small deviations), unscheduled ones stay logged out; adherence (wfm.intraday) comes out high."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.contacts.models import AgentState, AgentStateLog, Contact
from hotline.contacts.runtime import ContactRuntime
from hotline.contacts.traffic import DemoTraffic, Habits, intended, moves, shift_timeline
from hotline.core.auth import Principal
from hotline.core.clock import ManualClock, to_local
from hotline.org.models import OrgUnit, User, UserRole, UserSkill
from hotline.wfm import service as wfm_service
from hotline.wfm.models import WfmActivity, WfmSchedule

EXACT = Habits(login=(0, 0), late_login_share=0, break_start=(0, 0), break_end=(0, 0), late_back_share=0,
               off_share=0, aux_per_hour=0, logout=(0, 0))


def at(h: float) -> datetime:
    return datetime(2026, 3, 2, tzinfo=UTC) + timedelta(hours=h)


def test_timeline_without_deviations_is_the_plan_and_defaults_stay_close() -> None:
    shift, breaks = (at(1), at(9)), [(at(3), at(3.25)), (at(5), at(5.5))]
    cuts = shift_timeline(shift, breaks, random.Random(1), EXACT)
    assert cuts == [(at(1), "ready"), (at(3), "break"), (at(3.25), "ready"), (at(5), "break"), (at(5.5), "ready"),
                    (at(9), "logged_out")]
    assert [intended([cuts], at(h)) for h in (0.5, 1, 3.1, 4, 5.2, 8.9, 9, 12)] == [
        "logged_out", "ready", "break", "ready", "break", "ready", "logged_out", "logged_out"]
    late = 0
    for seed in range(200):
        cuts = shift_timeline(shift, breaks, random.Random(seed))
        assert cuts[0][1] == "ready" and cuts[-1][1] == "logged_out" and cuts == sorted(cuts)
        assert sum(s == "break" for _t, s in cuts) == 2
        assert all(at(0.5) < t < at(9.5) for t, _s in cuts)  # deviations are minutes, not hours
        late += cuts[0][0] > at(1) + timedelta(minutes=2)
    assert 5 < late < 45  # some late logins (~10 %), not all


def test_moves_go_through_the_state_machine() -> None:
    assert moves("logged_out", "", "", "ready") == [("login", ""), ("ready", "")]
    assert moves("ready", "", "", "break") == [("not_ready", "break")]
    assert moves("talking", "", "", "break") == [("not_ready", "break")]  # pending until ACW ends
    assert moves("talking", "", "break", "break") == []
    assert moves("not_ready", "break", "", "aux") == [("not_ready", "other")]
    assert moves("acw", "", "", "logged_out") == [("not_ready", "other")]
    assert moves("not_ready", "other", "", "logged_out") == [("logout", "")]
    assert moves("offered", "", "", "logged_out") == []
    assert moves("logged_out", "", "", "logged_out") == []


def _province(db: Session) -> OrgUnit:
    return db.execute(select(OrgUnit).where(OrgUnit.kind == "province").order_by(OrgUnit.path)).scalars().first()


def _regular_agents(db: Session, prov: OrgUnit, n: int) -> list[User]:
    ids = select(UserRole.user_id).where(UserRole.role == "agent")
    skilled = select(UserSkill.user_id).where(UserSkill.skill == "regular")
    rows = db.execute(select(User).join(OrgUnit, User.unit_id == OrgUnit.id).where(
        User.id.in_(ids), User.id.in_(skilled), User.active.is_(True), OrgUnit.path.startswith(prov.path),
        User.username.not_in(("agent", "expert"))).order_by(User.id)).scalars()
    return list(rows)[:n]


def _run(traffic: DemoTraffic, runtime: ContactRuntime, clock: ManualClock, until: datetime) -> None:
    while clock.now() < until:
        clock.advance(10)
        traffic.step()
        runtime.tick()


def test_traffic_follows_published_schedule(runtime: ContactRuntime, db: Session, clock: ManualClock) -> None:
    prov = _province(db)
    start = clock.now()  # 09:00 local
    plan = {0: (0.5, 3.5, [(1.5, 1.75), (2.25, 2.75)]), 1: (0.5, 3.5, [(1.75, 2.0), (2.75, 3.25)]),
            2: (1.0, 4.0, [(2.0, 2.25), (3.0, 3.5)]), 3: (1.0, 4.0, [(2.5, 2.75)])}
    agents = _regular_agents(db, prov, len(plan))
    acts = []
    for i, (s, e, breaks) in plan.items():
        u = agents[i]
        acts.append(WfmActivity(user_id=u.id, org_path=u.unit.path, activity="shift", queue="regular",
                                start_at=start + timedelta(hours=s), end_at=start + timedelta(hours=e)))
        acts += [WfmActivity(user_id=u.id, org_path=u.unit.path, activity="break" if b1 - b0 < 0.5 else "meal",
                             queue="regular", start_at=start + timedelta(hours=b0),
                             end_at=start + timedelta(hours=b1)) for b0, b1 in breaks]
    db.add(WfmSchedule(unit_id=prov.id, org_path=prov.path, day=to_local(start).date(), queue="regular",
                       required=[0] * 48, scheduled=[0] * 48, published_at=start, activities=acts))
    db.commit()

    traffic = DemoTraffic(runtime, calls_per_hour=30.0, seed=11)
    traffic.begin()
    _run(traffic, runtime, clock, start + timedelta(hours=4.5))

    ours = {u.id for u in agents}
    logs = list(db.execute(select(AgentStateLog).where(AgentStateLog.started_at >= start)).scalars())
    assert {r.user_id for r in logs} == ours  # nobody unscheduled was ever logged in
    assert not db.execute(select(AgentState).where(AgentState.state != "logged_out")).scalars().all()
    for i, (_s, _e, breaks) in plan.items():
        for b0, b1 in breaks:  # each break was taken (not ready, reason break) around its planned time
            mid = start + timedelta(hours=(b0 + b1) / 2)
            assert any(r.user_id == agents[i].id and r.state == "not_ready" and r.reason == "break"
                       and r.started_at <= mid < r.ended_at for r in logs), (i, b0)
    answered = db.execute(select(Contact.agent_id).where(Contact.answered_at.is_not(None),
                                                          Contact.answered_at >= start)).scalars().all()
    assert len(answered) > 30 and set(answered) <= ours

    planner = Principal.build(user_id=agents[0].id, username="planner", display_name="planner",
                              roles={"workforce_planner"}, unit_path=prov.path, province_path=prov.path,
                              province_id=prov.id)
    view = wfm_service.intraday_view(db_session=db, principal=planner, day=to_local(start).date(), now=clock.now())
    rows = {r["user_id"]: r["adherence"] for r in view["adherence"]}
    assert rows.keys() == ours
    assert all(0.75 <= a <= 1.0 for a in rows.values()), rows
    assert 0.85 <= view["adherence_total"] < 1.0, view["adherence_total"]  # high, and not a fake 100 %


def test_without_a_schedule_random_agents_work_all_day(runtime: ContactRuntime, db: Session,
                                                       clock: ManualClock) -> None:
    traffic = DemoTraffic(runtime, agents=3, calls_per_hour=60.0)
    traffic.begin()
    _run(traffic, runtime, clock, clock.now() + timedelta(minutes=2))
    on = db.execute(select(AgentState).where(AgentState.state != "logged_out")).scalars().all()
    assert len(on) == 3 and all(st.simulated for st in on)
