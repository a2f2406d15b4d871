"""The pure intraday engine: actual vs forecast, damped re-forecast, staffing, adherence, backup pool."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.core.clock import LOCAL_TZ
from hotline.reports import kpi
from hotline.wfm import erlang, intraday

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, tzinfo=LOCAL_TZ)
TARGET = kpi.QueueTarget("HB.regular", 20.0, 0.8, 5.0)


def _call(i: int, at_s: float, wait: float = 10.0, answered: bool = True, handle: float = 200.0) -> kpi.Contact:
    q = T0 + timedelta(seconds=at_s)
    end = q + timedelta(seconds=wait)
    if not answered:
        return kpi.Contact(str(i), "voice", "HB.regular", "", "regular", "", q, queued_at=q, abandoned_at=end)
    return kpi.Contact(str(i), "voice", "HB.regular", "", "regular", "", q, queued_at=q, answered_at=end,
                       talk_end_at=end + timedelta(seconds=handle - 20), acw_end_at=end + timedelta(seconds=handle))


def _plan(calls: list[float], aht: float = 200.0) -> intraday.QueuePlan:
    return intraday.QueuePlan("HB.regular", DAY, 30, calls, [aht] * len(calls), [3] * len(calls), [3] * len(calls))


def test_actual_per_interval_follows_kpi_md() -> None:
    # interval 0: 3 answered (waits 10, 10, 30 s) and a 3 s short abandon; interval 1: one abandon after 40 s
    contacts = [_call(1, 60), _call(2, 120), _call(3, 180, wait=30), _call(4, 200, wait=3, answered=False),
                _call(5, 1900, wait=40, answered=False)]
    qd = intraday.queue_day(_plan([4.0, 2.0, 5.0, 5.0]), contacts, TARGET, now=T0 + timedelta(minutes=61))
    assert qd.elapsed == 2
    assert qd.offered == [4, 1, None, None] and qd.answered == [3, 0, None, None]
    assert qd.service_level[0] == 2 / 3  # A_T / (N - Bs): 2 within 20 s, 4 offered, 1 short abandon
    assert qd.service_level[1] == 0.0 and qd.aht_s[0] == 200.0 and qd.aht_s[1] is None
    assert qd.reforecast_calls[:2] == [4.0, 1.0]
    # 5 offered against 6 forecast: the ratio is damped towards 1 by the prior
    assert qd.volume_ratio == (5 + intraday.PRIOR_CALLS) / (6 + intraday.PRIOR_CALLS)


def test_reforecast_decays_back_to_the_plan() -> None:
    out = intraday.reforecast([10.0] * 6, [20.0, 20.0], ratio=2.0, decay=0.5)
    assert out == [20.0, 20.0, 20.0, 15.0, 12.5, 11.25]


def test_busy_morning_raises_the_rest_and_the_staffing() -> None:
    calls = [30.0] * 8
    contacts = [_call(i, 1800 * (i % 4) + i) for i in range(4 * 60)]  # 60 an interval, twice the forecast
    qd = intraday.queue_day(_plan(calls), contacts, TARGET, now=T0 + timedelta(hours=2))
    assert qd.elapsed == 4 and qd.volume_ratio > 1.5
    assert all(r > 30.0 for r in qd.reforecast_calls[4:])
    plain = intraday.required_agents(calls[4:], [200.0] * 4, 30, intraday.Staffing(0.8, 20.0))
    assert all(a > b for a, b in zip(qd.required_now[4:], plain, strict=True))
    load = erlang.offered_load(qd.reforecast_calls[4], 1800, qd.reforecast_aht_s[4])
    assert qd.required_now[4] == erlang.staff_c(load, qd.reforecast_aht_s[4], 0.8, 20.0).agents


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=4, max_size=12), st.integers(0, 12))
def test_reforecast_equals_forecast_when_actual_equals_forecast(counts: list[int], k: int) -> None:
    k = min(k, len(counts))
    contacts = [_call(i * 100 + j, 1800 * i + j * 5) for i, n in enumerate(counts[:k]) for j in range(n)]
    qd = intraday.queue_day(_plan([float(c) for c in counts]), contacts, TARGET,
                            now=T0 + timedelta(minutes=30 * k))
    assert qd.volume_ratio == 1.0
    assert qd.reforecast_calls == [float(c) for c in counts]


def _seg(agent: str, state: str, a: float, b: float, reason: str = "") -> kpi.AgentStateSegment:
    return kpi.AgentStateSegment(agent, "", state, reason, T0 + timedelta(minutes=a), T0 + timedelta(minutes=b))


def _act(agent: str, activity: str, a: float, b: float) -> kpi.ScheduleActivity:
    return kpi.ScheduleActivity(agent, DAY, activity, T0 + timedelta(minutes=a), T0 + timedelta(minutes=b))


def test_adherence_so_far_with_a_meal_and_a_late_return() -> None:
    # shift 08:00-16:30 with a meal 12:00-12:30; the agent logs in at 08:10 and comes back from the meal at 12:40
    plan = [_act("7", "shift", 480, 990), _act("7", "meal", 720, 750)]
    states = [_seg("7", "ready", 490, 720), _seg("7", "not_ready", 720, 760, "break"), _seg("7", "talking", 760, 800)]
    found = intraday.adherence(plan, states, now=T0 + timedelta(minutes=780))
    a = found["7"]
    assert a.scheduled_s == 300 * 60  # 08:00-13:00, the rest is not judged yet
    assert a.adherent_s == (230 + 30 + 20) * 60  # late login -10, meal ok, 12:30-12:40 still on break -10
    assert a.planned_now == "shift" and a.state_now == "talking" and a.in_adherence_now is True
    assert intraday.adherence(plan, [], now=T0 + timedelta(minutes=780))["7"].adherence == 0.0
    assert intraday.adherence(plan, states, now=T0)["7"].adherence is None  # nothing scheduled yet


def test_adherence_of_a_day_splits_night_shifts_at_midnight() -> None:
    # last night 22:00 - today 06:30, and tonight 22:00 - tomorrow 06:30; ready all the time
    plan = [_act("3", "shift", -120, 390), _act("3", "shift", 1320, 1830), _act("4", "shift", -600, -60)]
    states = [_seg("3", "ready", -120, 1830)]
    found = intraday.adherence(plan, states, now=T0 + timedelta(days=2), day=DAY)
    assert set(found) == {"3"}  # agent 4 worked only yesterday
    assert found["3"].scheduled_s == (390 + 120) * 60 == found["3"].adherent_s
    whole = intraday.adherence(plan, states, now=T0 + timedelta(days=2))
    assert whole["3"].scheduled_s == 2 * 510 * 60 and "4" in whole


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ready", "talking", "not_ready", "acw"]), st.integers(1, 90)),
                min_size=1, max_size=12), st.integers(0, 1440))
def test_adherence_is_a_share(states: list[tuple[str, int]], now_min: int) -> None:
    segs, t = [], 420
    for state, length in states:
        segs.append(_seg("1", state, t, t + length, "break" if state == "not_ready" else ""))
        t += length
    plan = [_act("1", "shift", 480, 990), _act("1", "break", 600, 615), _act("1", "meal", 720, 750)]
    a = intraday.adherence(plan, segs, now=T0 + timedelta(minutes=now_min))["1"]
    assert a.adherence is None or 0.0 <= a.adherence <= 1.0
    assert 0 <= a.adherent_s <= a.scheduled_s <= 510 * 60


def test_backup_pool_who_and_when() -> None:
    pool = [intraday.Candidate(5, "赵敏", "qa_inspector", 3), intraday.Candidate(9, "孙丽", "trainer", 5),
            intraday.Candidate(2, "周", "qa_inspector", 3)]
    labels = ["09:00", "09:30", "10:00", "10:30"]
    s = intraday.backup_pool(labels, [9, 6, 8, 4], [5, 5, 5, 5], pool, start=1)
    assert s.needed == 3 and s.shortfall == 0
    assert s.gaps == [("09:30", 1), ("10:00", 3)]  # 09:00 has passed
    assert [(c.user_id, ivs) for c, ivs in s.people] == [(9, ["09:30", "10:00"]), (2, ["10:00"]), (5, ["10:00"])]
    short = intraday.backup_pool(labels, [9, 9, 9, 9], [5, 5, 5, 5], pool[:1], start=0)
    assert short.needed == 4 and short.shortfall == 3 and len(short.people) == 1
    assert intraday.backup_pool(labels, [1, 1, 1, 1], [5, 5, 5, 5], pool, start=0).people == []
