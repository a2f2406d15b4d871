"""Hypothesis properties: bounds, pooling identities, live accumulator = batch, adherence = a
literal second-by-second count, CSV round trip."""

from __future__ import annotations

import io
import itertools
import random
from dataclasses import fields
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.core.clock import LOCAL_TZ
from hotline.reports import contactlog, kpi

TARGETS = {
    "vip": kpi.QueueTarget("vip", 15, 0.85, 5),
    "regular": kpi.QueueTarget("regular", 20, 0.75, 5),
    "broadband": kpi.QueueTarget("broadband", 30, 0.8, 10),
}
QUEUES = tuple(TARGETS)
START = datetime(2026, 3, 2, 22, 0, tzinfo=LOCAL_TZ)  # near midnight, so days split often
AGENTS = {"A1": "T1", "A2": "T1", "A3": "T2"}
COUNT_FIELDS = [f.name for f in fields(kpi.ContactCounts)]


@st.composite
def contact_st(draw: st.DrawFn, i: int) -> kpi.Contact:
    # On a coarse grid so that repeats exactly 24 h / 7 d apart (inclusive windows) happen often.
    arrived = START + timedelta(
        hours=6 * draw(st.integers(0, 32)), seconds=draw(st.sampled_from([0, 1, 7, 3599]))
    )
    kind = draw(st.sampled_from(["answered", "answered", "abandoned", "self_served"]))
    queue = draw(st.sampled_from(QUEUES))
    base = {
        "contact_id": f"K{i:05d}",
        "channel": draw(st.sampled_from(["voice", "chat"])),
        "queue": queue,
        "customer_id": draw(st.sampled_from(["", "C1", "C2", "C3"])),
        "customer_segment": "regular",
        "business_type": draw(st.sampled_from(["billing", "roaming"])),
        "arrived_at": arrived,
    }
    if kind == "self_served":
        return kpi.Contact(**base, ended_at=arrived + timedelta(seconds=30), outcome="self_served")
    queued = arrived + timedelta(seconds=draw(st.integers(0, 40)))
    wait = timedelta(seconds=draw(st.integers(0, 45)))
    overflow = draw(st.sampled_from(["", "", *[q for q in QUEUES if q != queue]]))
    extra: dict[str, object] = {"queued_at": queued, "overflowed_to_queue": overflow}
    if kind == "answered":
        answered = queued + wait
        talk = draw(st.integers(0, 900))
        talk_end = answered + timedelta(seconds=talk)
        agent = draw(st.sampled_from(sorted(AGENTS)))
        extra |= {
            "answered_at": answered,
            "talk_end_at": talk_end,
            "hold_s": float(draw(st.integers(0, talk))),
            "acw_end_at": talk_end + timedelta(seconds=draw(st.integers(0, 120))),
            "ended_at": talk_end,
            "agent_id": agent,
            "team": AGENTS[agent],
            "transferred_to_queue": draw(st.sampled_from(["", "", "complaint_expert"])),
            "satisfaction": draw(st.none() | st.integers(1, 5)),
        }
    else:
        extra |= {"abandoned_at": queued + wait, "ended_at": queued + wait}
    return kpi.Contact(**base, **extra)


contacts_st = st.integers(0, 40).flatmap(lambda n: st.tuples(*(contact_st(i) for i in range(n)))).map(list)


def _same(a: kpi.Figures, b: kpi.Figures) -> None:
    da, db = a.as_dict(), b.as_dict()
    assert da.keys() == db.keys()
    for k in da:
        assert da[k] == pytest.approx(db[k], abs=1e-9), k


@settings(max_examples=150, deadline=None)
@given(contacts_st)
def test_bounds_and_identities(contacts: list[kpi.Contact]) -> None:
    for days in kpi.queue_day(contacts, TARGETS).values():
        for f in days.values():
            c = f.contacts
            assert c.offered == c.answered + c.abandoned
            assert c.abandoned == c.abandoned_in_threshold + c.abandoned_after_threshold
            assert c.short_abandoned <= c.abandoned_in_threshold  # S <= T in these targets
            for name in (
                "service_level",
                "service_level_variant_b",
                "answer_rate",
                "abandonment_rate",
                "transfer_rate",
                "fcr_24h",
                "fcr_7d",
                "satisfaction_top2_share",
            ):
                v = f[name]
                assert v is None or 0 <= v <= 1, name
            if c.offered - c.short_abandoned:
                assert c.answer_rate + c.abandonment_rate == pytest.approx(1)
            assert c.fcr_7d_resolved <= c.fcr_24h_resolved <= c.answered
            assert f["met_target"] is (
                f["service_level"] is not None and f["service_level"] >= f["sl_target"]
            )


@settings(max_examples=150, deadline=None)
@given(contacts_st)
def test_pooling_centre_is_the_sum_of_queues_and_days_the_sum_of_intervals(
    contacts: list[kpi.Contact],
) -> None:
    by_day = kpi.queue_day(contacts, TARGETS)
    centre = kpi.centre_day(contacts, TARGETS)
    assert set(centre) == {d for days in by_day.values() for d in days}
    for day, f in centre.items():
        total = kpi.ContactCounts()
        for days in by_day.values():
            total += days[day].contacts
        for name in COUNT_FIELDS:  # A_T, N, Bs ... each pooled once, each by its own queue's T and S
            assert getattr(f.contacts, name) == pytest.approx(getattr(total, name)), name
        assert f["service_level"] == kpi.ratio(
            total.answered_in_threshold, total.offered - total.short_abandoned
        )
    for q, intervals in kpi.queue_interval(contacts, TARGETS, interval_minutes=15).items():
        for day, f in by_day[q].items():
            total = kpi.ContactCounts()
            for key, g in intervals.items():
                if key.startswith(day):
                    total += g.contacts
            assert [getattr(total, n) for n in COUNT_FIELDS] == pytest.approx(
                [getattr(f.contacts, n) for n in COUNT_FIELDS]
            )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contacts_st, st.randoms(use_true_random=False))
def test_live_accumulator_in_any_order_equals_batch(contacts: list[kpi.Contact], rnd: random.Random) -> None:
    shuffled = contacts[:]
    rnd.shuffle(shuffled)
    acc = kpi.KpiAccumulator(TARGETS)
    for c in shuffled:
        assert acc.add_contact(c)
    pairs = [
        (acc.queue_day(), kpi.queue_day(contacts, TARGETS)),
        (acc.queue_interval(), kpi.queue_interval(contacts, TARGETS)),
        (acc.agent_day(), kpi.agent_day(contacts)),
        (acc.team_day(), kpi.team_day(contacts)),
        ({"": acc.centre_day()}, {"": kpi.centre_day(contacts, TARGETS)}),
    ]
    for live, batch in pairs:
        assert live.keys() == batch.keys()
        for k in live:
            assert live[k].keys() == batch[k].keys()
            for p in live[k]:
                _same(live[k][p], batch[k][p])


# --- agent time -----------------------------------------------------------------------------

STATE_CHOICES = [
    ("ready", ""),
    ("offered", ""),
    ("talking", ""),
    ("hold", ""),
    ("acw", ""),
    ("not_ready", "break"),
    ("not_ready", "training"),
    ("not_ready", "other"),
    ("logged_out", ""),
]
T0 = datetime(2026, 3, 2, 23, 0, tzinfo=LOCAL_TZ)


@st.composite
def timeline_st(draw: st.DrawFn) -> tuple[list[kpi.AgentStateSegment], list[kpi.ScheduleActivity]]:
    cuts = sorted(set(draw(st.lists(st.integers(1, 7199), max_size=12))))
    bounds = [0, *cuts, 7200]
    states = []
    for a, b in itertools.pairwise(bounds):
        if draw(st.booleans()) or not states:  # leave some gaps with no state at all
            state, reason = draw(st.sampled_from(STATE_CHOICES))
            states.append(
                kpi.AgentStateSegment(
                    "A1", "T1", state, reason, T0 + timedelta(seconds=a), T0 + timedelta(seconds=b)
                )
            )
    s0 = draw(st.integers(0, 3000))
    s1 = draw(st.integers(s0 + 1, 7200))
    plan = [
        kpi.ScheduleActivity(
            "A1", date(2026, 3, 2), "shift", T0 + timedelta(seconds=s0), T0 + timedelta(seconds=s1)
        )
    ]
    inner_start = draw(st.integers(0, 7000))
    inner = draw(st.sampled_from(["break", "lunch", "training"]))
    plan.append(
        kpi.ScheduleActivity(
            "A1",
            date(2026, 3, 2),
            inner,
            T0 + timedelta(seconds=inner_start),
            T0 + timedelta(seconds=inner_start + draw(st.integers(1, 200))),
        )
    )
    return states, plan


def brute_force_adherence(
    states: list[kpi.AgentStateSegment], plan: list[kpi.ScheduleActivity]
) -> dict[str, tuple[int, int]]:
    """Literally second by second."""
    out: dict[str, list[int]] = {}
    for s in range(7200):
        t = T0 + timedelta(seconds=s)
        acts = [a.activity for a in plan if a.start <= t < a.end]
        if not acts:
            continue
        need = next((a for a in acts if a != "shift"), "shift")
        st_ = next(((x.state, x.reason) for x in states if x.started_at <= t < x.ended_at), None)
        ok = st_ is not None and ((st_[0], None) in kpi.ADHERENT[need] or st_ in kpi.ADHERENT[need])
        day = t.astimezone(LOCAL_TZ).date().isoformat()
        acc = out.setdefault(day, [0, 0])
        acc[0] += 1
        acc[1] += ok
    return {d: (a, b) for d, (a, b) in out.items()}


@settings(max_examples=60, deadline=None)
@given(timeline_st())
def test_adherence_equals_a_second_by_second_count(timeline) -> None:
    states, plan = timeline
    times = kpi.agent_time(states, plan)
    got = {d: (t.scheduled_s, t.adherent_s) for (_, d), t in times.items() if t.scheduled_s}
    assert got == brute_force_adherence(states, plan)


@settings(max_examples=100, deadline=None)
@given(timeline_st())
def test_time_bounds_and_midnight_split(timeline) -> None:
    states, plan = timeline
    times = kpi.agent_time(states, plan)
    total = sum((s.ended_at - s.started_at).total_seconds() for s in states)
    assert sum(sum(t.state_s.values()) for t in times.values()) == pytest.approx(total)
    for t in times.values():
        for name in ("occupancy", "utilisation", "adherence"):
            v = getattr(t, name)
            assert v is None or 0 <= v <= 1
        if t.utilisation is not None and t.occupancy is not None:
            assert t.utilisation <= t.occupancy + 1e-12


# --- contact-log round trip -----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(contacts_st)
def test_contact_log_round_trip(contacts: list[kpi.Contact]) -> None:
    text = contactlog.contacts_to_csv(contacts)
    back = contactlog.read_contacts(io.StringIO(text))
    assert back == contacts
    assert contactlog.contacts_to_csv(back) == text
