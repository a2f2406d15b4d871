"""Edge cases of the KPI rules: inclusive thresholds, empty denominators, attribution, midnight."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hotline.reports import kpi

TARGETS = {
    "vip": kpi.QueueTarget("vip", 15, 0.85, 5),
    "regular": kpi.QueueTarget("regular", 20, 0.75, 5),
}
DAY = "2026-03-02"


def at(hhmmss: str, day: str = DAY) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmmss}+08:00")


def one_day(contacts: list[kpi.Contact], queue: str = "regular") -> kpi.Figures:
    return kpi.queue_day(contacts, TARGETS)[queue][DAY]


# --- thresholds are inclusive --------------------------------------------------------------


def test_answer_at_exactly_t_is_within_and_one_second_more_is_not(make_contact) -> None:
    f = one_day([make_contact(wait=20), make_contact(wait=21), make_contact(wait=0)])
    assert f.contacts.answered_in_threshold == 2
    assert f["service_level"] == pytest.approx(2 / 3)


def test_abandon_at_exactly_s_is_short_and_at_exactly_t_is_within_t(make_contact) -> None:
    f = one_day([make_contact(wait=w, answered=False) for w in (5, 6, 20, 21)])
    c = f.contacts
    assert (c.short_abandoned, c.abandoned_in_threshold, c.abandoned_after_threshold) == (1, 3, 1)


def test_sub_second_waits_compare_exactly(make_contact) -> None:
    f = one_day([make_contact(wait=20.000001), make_contact(wait=19.999999)])
    assert f.contacts.answered_in_threshold == 1


# --- empty denominators give None, never 0 ------------------------------------------------


def test_only_short_abandons_leave_ratios_undefined(make_contact) -> None:
    f = one_day([make_contact(wait=3, answered=False), make_contact(wait=5, answered=False)])
    d = f.as_dict()
    assert d["offered"] == 2 and d["short_abandoned"] == 2
    for key in (
        "service_level",
        "answer_rate",
        "abandonment_rate",
        "asa_s",
        "aht_s",
        "transfer_rate",
        "fcr_24h",
        "satisfaction_mean",
        "satisfaction_top2_share",
    ):
        assert d[key] is None, key
    assert d["service_level_variant_b"] is None
    assert d["met_target"] is False
    assert d["avg_abandon_wait_s"] == 4.0


def test_day_without_contacts_is_present_and_not_met(make_contact) -> None:
    rows = kpi.queue_day([make_contact()], TARGETS, period=(date(2026, 3, 1), date(2026, 3, 3)))
    assert list(rows["vip"]) == ["2026-03-01", "2026-03-02", "2026-03-03"]
    empty = rows["regular"]["2026-03-03"]
    assert empty["offered"] == 0 and empty["service_level"] is None and empty["met_target"] is False


def test_centre_time_figures_without_states_are_none(make_contact) -> None:
    d = kpi.centre_day([make_contact()], TARGETS)[DAY].as_dict()
    assert d["occupancy"] is None and d["utilisation"] is None and d["adherence"] is None
    assert d["logged_in_s"] == 0


def test_ratio_helper() -> None:
    assert kpi.ratio(0, 0) is None and kpi.ratio(0, 4) == 0.0


# --- targets are compared unrounded ---------------------------------------------------------


def test_met_target_is_unrounded(make_contact) -> None:
    target = {"q": kpi.QueueTarget("q", 20, 0.80, 5)}

    def sl_of(n_in: int, n_out: int) -> kpi.Figures:
        cs = [make_contact(queue="q", wait=1) for _ in range(n_in)]
        cs += [make_contact(queue="q", wait=60) for _ in range(n_out)]
        return kpi.queue_day(cs, target)["q"][DAY]

    near = sl_of(39, 10)  # 0.7959..., shown as 0.80 when rounded
    assert round(near["service_level"], 2) == 0.80 and near["met_target"] is False
    assert sl_of(40, 10)["met_target"] is True  # exactly 0.80 meets it


# --- formulas -------------------------------------------------------------------------------


def test_handle_talk_hold_acw(make_contact) -> None:
    c = make_contact(wait=7, talk=100, hold=30, acw=20)
    assert (c.wait_s, c.talk_s, c.acw_s, c.handle_s) == (7, 100, 20, 150)
    d = one_day([c]).as_dict()
    assert (d["asa_s"], d["avg_talk_s"], d["avg_hold_s"], d["avg_acw_s"], d["aht_s"]) == (7, 100, 30, 20, 150)


def test_satisfaction_over_answered_with_response(make_contact) -> None:
    cs = [make_contact(satisfaction=s) for s in (5, 4, 3, 1)] + [make_contact(), make_contact(answered=False)]
    d = one_day(cs).as_dict()
    assert d["satisfaction_responses"] == 4
    assert d["satisfaction_mean"] == pytest.approx(13 / 4)
    assert d["satisfaction_top2_share"] == 0.5


def test_variant_b_excludes_abandons_within_t(make_contact) -> None:
    cs = [
        make_contact(wait=10),
        make_contact(wait=30),
        make_contact(answered=False, wait=10),
        make_contact(answered=False, wait=40),
    ]
    d = one_day(cs).as_dict()
    assert d["service_level"] == pytest.approx(1 / 4)
    assert d["service_level_variant_b"] == pytest.approx(1 / 3)
    assert d["answer_rate"] + d["abandonment_rate"] == pytest.approx(1)


# --- attribution ----------------------------------------------------------------------------


def test_overflow_counts_in_final_queue_with_its_own_threshold(make_contact) -> None:
    # 18 s wait: outside vip's 15 s but inside regular's 20 s; queued just before midnight.
    c = make_contact(
        queue="vip", overflowed_to_queue="regular", wait=18, base=at("23:59:50"), outcome="overflowed"
    )
    rows = kpi.queue_day([c], TARGETS)
    reg, vip = rows["regular"][DAY], rows["vip"][DAY]
    assert (reg["offered"], reg["answered_in_threshold"], reg["overflow_in"], reg["overflow_out"]) == (
        1,
        1,
        1,
        0,
    )
    assert (vip["offered"], vip["overflow_in"], vip["overflow_out"]) == (0, 0, 1)
    assert list(rows["regular"]) == [DAY]  # answered after midnight, counted on the day queued
    centre = kpi.centre_day([c], TARGETS)[DAY]
    assert (centre["overflowed"], centre["offered"]) == (1, 1)


def test_wait_runs_from_the_first_queue_entry(make_contact) -> None:
    c = make_contact(queue="vip", overflowed_to_queue="regular", wait=25)
    assert c.wait_s == 25
    assert one_day([c])["answered_in_threshold"] == 0


def test_transfer_counts_in_the_answering_queue_only(make_contact) -> None:
    c = make_contact(queue="regular", transferred_to_queue="vip", outcome="transferred")
    rows = kpi.queue_day([c], TARGETS)
    assert rows["regular"][DAY]["transferred"] == 1 and rows["regular"][DAY]["transfer_rate"] == 1.0
    assert rows["vip"][DAY]["offered"] == 0


def test_self_served_counted_apart_by_arrival(make_contact) -> None:
    ss = make_contact(self_served=True, ivr=30, base=at("00:00:10", "2026-03-03"))  # arrived 23:59:40
    rows = kpi.queue_day([ss, make_contact()], TARGETS)
    assert rows["regular"][DAY]["self_served"] == 1
    assert rows["regular"][DAY]["offered"] == 1
    intervals = kpi.queue_interval([ss], TARGETS)
    assert intervals["regular"]["2026-03-02T23:30"]["self_served"] == 1


def test_day_and_interval_come_from_queued_at_in_local_time(make_contact) -> None:
    utc = datetime.fromisoformat("2026-03-01T16:14:59+00:00")  # 00:14:59 local on 03-02
    c = make_contact(base=utc, ivr=60)
    assert list(kpi.queue_day([c], TARGETS)["regular"]) == [DAY]
    assert list(kpi.queue_interval([c], TARGETS, interval_minutes=15)["regular"]) == [f"{DAY}T00:00"]
    assert list(kpi.queue_interval([c], TARGETS, interval_minutes=60)["regular"]) == [f"{DAY}T00:00"]
    later = make_contact(base=utc + timedelta(seconds=1))
    assert list(kpi.queue_interval([later], TARGETS, interval_minutes=15)["regular"]) == [f"{DAY}T00:15"]


def test_interval_length_must_divide_a_day() -> None:
    with pytest.raises(ValueError):
        kpi.Calendar(7)


def test_filled_intervals_cover_every_slot(make_contact) -> None:
    rows = kpi.queue_interval([make_contact()], TARGETS, fill=True, interval_minutes=60)
    assert len(rows["vip"]) == 24 and rows["vip"][f"{DAY}T09:00"]["offered"] == 0
    assert rows["regular"][f"{DAY}T09:00"]["offered"] == 1


def test_missing_target_is_an_error_unless_defaulted(make_contact) -> None:
    c = make_contact(queue="nowhere")
    with pytest.raises(kpi.MissingTarget, match="nowhere"):
        kpi.queue_day([c], TARGETS)
    rows = kpi.queue_day([c], TARGETS, default_target=kpi.QueueTarget("*", 20, 0.8, 5))
    assert rows["nowhere"][DAY]["sl_threshold_s"] == 20


def test_agent_and_team_by_day_queued(make_contact) -> None:
    c = make_contact(base=at("23:59:50"), wait=20, agent_id="A9", team="")
    rows = kpi.agent_day([c])
    assert list(rows["A9"]) == [DAY] and rows["A9"][DAY]["answered"] == 1
    teams = kpi.team_day([c], agent_teams={"A9": "T9"})
    assert teams["T9"][DAY]["answered"] == 1


# --- first-contact resolution ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("gap", "resolved"),
    [
        (0, (True, True)),
        (1, (False, False)),
        (86400, (False, False)),
        (86401, (True, False)),
        (7 * 86400, (True, False)),
        (7 * 86400 + 1, (True, True)),
        (-60, (True, True)),
    ],
)
def test_fcr_windows_inclusive(make_contact, gap: int, resolved: tuple[bool, bool]) -> None:
    first = make_contact(customer_id="X")
    again = make_contact(customer_id="X", at=gap, answered=False)
    assert kpi.fcr_flags([first, again])[first.contact_id] == resolved


def test_fcr_needs_same_customer_and_business_type(make_contact) -> None:
    first = make_contact(customer_id="X")
    flags = kpi.fcr_flags(
        [
            first,
            make_contact(customer_id="X", at=60, business_type="roaming"),
            make_contact(customer_id="Y", at=60),
        ]
    )
    assert flags[first.contact_id] == (True, True)
    anon = make_contact(customer_id="")
    assert kpi.fcr_flags([anon, make_contact(customer_id="", at=60)])[anon.contact_id] == (True, True)


def test_fcr_repeat_by_self_service_in_another_channel(make_contact) -> None:
    first = make_contact(customer_id="X")
    ss = make_contact(customer_id="X", at=3600, self_served=True, channel="app")
    d = one_day([first, ss]).as_dict()
    assert (d["fcr_24h"], d["fcr_24h_resolved"]) == (0.0, 0)


# --- agent time -----------------------------------------------------------------------------


def seg(
    state: str,
    start: str,
    end: str,
    reason: str = "",
    agent: str = "A1",
    team: str = "T1",
    day: str = DAY,
    end_day: str | None = None,
) -> kpi.AgentStateSegment:
    return kpi.AgentStateSegment(agent, team, state, reason, at(start, day), at(end, end_day or day))


def act(
    activity: str, start: str, end: str, agent: str = "A1", day: str = DAY, end_day: str | None = None
) -> kpi.ScheduleActivity:
    return kpi.ScheduleActivity(
        agent, date.fromisoformat(day), activity, at(start, day), at(end, end_day or day)
    )


def test_state_segment_split_at_local_midnight() -> None:
    t = kpi.agent_time([seg("talking", "23:00:00", "01:00:00", end_day="2026-03-03")])
    assert t["A1", DAY].state_s["talking"] == 3600
    assert t["A1", "2026-03-03"].state_s["talking"] == 3600


def test_schedule_split_at_local_midnight() -> None:
    states = [seg("ready", "22:00:00", "02:00:00", end_day="2026-03-03")]
    plan = [act("shift", "22:00:00", "02:00:00", end_day="2026-03-03")]
    t = kpi.agent_time(states, plan)
    assert (t["A1", DAY].scheduled_s, t["A1", DAY].adherent_s) == (7200, 7200)
    assert (t["A1", "2026-03-03"].scheduled_s, t["A1", "2026-03-03"].adherence) == (7200, 1.0)


def test_occupancy_and_utilisation_from_state_time() -> None:
    states = [
        seg("ready", "09:00:00", "09:10:00"),
        seg("talking", "09:10:00", "09:20:00"),
        seg("hold", "09:20:00", "09:25:00"),
        seg("acw", "09:25:00", "09:30:00"),
        seg("not_ready", "09:30:00", "09:50:00", "break"),
        seg("logged_out", "09:50:00", "10:00:00"),
    ]
    d = kpi.agent_day([], states=states)["A1"][DAY].as_dict()
    assert d["occupancy"] == pytest.approx(1200 / 1800)
    assert d["utilisation"] == pytest.approx(1200 / 3000)
    assert (d["logged_in_s"], d["handling_time_s"], d["logged_out_s"]) == (3000, 1200, 600)


def test_call_running_into_a_break_is_out_of_adherence() -> None:
    plan = [act("shift", "09:00:00", "10:00:00"), act("break", "09:30:00", "09:45:00")]
    states = [
        seg("talking", "09:00:00", "09:35:00"),
        seg("not_ready", "09:35:00", "09:45:00", "break"),
        seg("ready", "09:45:00", "10:00:00"),
    ]
    t = kpi.agent_time(states, plan)["A1", DAY]
    assert (t.scheduled_s, t.adherent_s) == (3600, 3600 - 300)


@pytest.mark.parametrize(
    ("activity", "state", "reason", "adherent"),
    [
        ("lunch", "not_ready", "break", True),
        ("lunch", "not_ready", "other", False),
        ("training", "not_ready", "training", True),
        ("training", "not_ready", "break", False),
        ("break", "ready", "", False),
        ("shift", "not_ready", "break", False),
        ("shift", "offered", "", True),
        ("shift", "logged_out", "", False),
    ],
)
def test_adherence_rules(activity: str, state: str, reason: str, adherent: bool) -> None:
    plan = [act(activity, "09:00:00", "09:10:00")]
    t = kpi.agent_time([seg(state, "09:00:00", "09:10:00", reason)], plan)["A1", DAY]
    assert t.adherent_s == (600 if adherent else 0) and t.scheduled_s == 600


def test_no_state_at_all_during_the_shift_is_not_adherent() -> None:
    t = kpi.agent_time([], [act("shift", "09:00:00", "09:10:00")])["A1", DAY]
    assert (t.scheduled_s, t.adherence) == (600, 0.0)


def test_overlapping_inner_activities_are_refused() -> None:
    plan = [act("break", "09:00:00", "09:20:00"), act("training", "09:10:00", "09:30:00")]
    with pytest.raises(ValueError, match="overlapping"):
        kpi.agent_time([], plan)


def test_team_sums_seconds_then_divides() -> None:
    states = [
        seg("talking", "09:00:00", "09:30:00", agent="A1"),
        seg("ready", "09:30:00", "10:00:00", agent="A1"),
        seg("ready", "09:00:00", "11:00:00", agent="A2"),
    ]
    d = kpi.team_day([], states=states)["T1"][DAY].as_dict()
    assert d["occupancy"] == pytest.approx(1800 / 10800)  # not the mean of 0.5 and 0.0


# --- scoring rules --------------------------------------------------------------------------


def _queue_days(met: int, total: int) -> dict[str, dict[str, kpi.Figures]]:
    target = kpi.QueueTarget("q", 20, 0.8, 5)
    days = {}
    for i in range(total):
        counts = kpi.ContactCounts(offered=1, answered=1, answered_in_threshold=int(i < met))
        days[f"2026-03-{i + 1:02d}"] = kpi.Figures("queue", "q", f"2026-03-{i + 1:02d}", counts, None, target)
    return {"q": days}


@pytest.mark.parametrize(
    ("met", "total", "score"), [(17, 20, 2.0), (16, 20, 0.0), (20, 20, 2.0), (0, 31, 0.0)]
)
def test_sl_compliance_threshold_is_inclusive(met: int, total: int, score: float) -> None:
    c = kpi.sl_compliance(_queue_days(met, total), full_marks=2.0)["q"]
    assert (len(c.days_met), c.days_in_period, c.compliance_score) == (met, total, score)
    assert c.compliance_ratio == pytest.approx(met / total)


def test_sl_compliance_of_no_days_is_none() -> None:
    c = kpi.sl_compliance({"q": {}})["q"]
    assert (c.compliance_ratio, c.compliance_score) == (None, None)


def test_mystery_call_scores() -> None:
    rows = [kpi.ProvinceResult(p, r) for p, r in (("A", 80.0), ("B", 90.0), ("C", 100.0))]
    m = kpi.mystery_call_scores(rows)
    assert (m.national_min, m.national_mean) == (80.0, 90.0)
    assert m.score == {"A": 0.0, "B": 1.0, "C": 2.0}
    assert m.score_capped == {"A": 0.0, "B": 1.0, "C": 1.0}
    flat = kpi.mystery_call_scores([kpi.ProvinceResult("A", 90.0), kpi.ProvinceResult("B", 90.0)])
    assert flat.score == {"A": None, "B": None}
    assert kpi.mystery_call_scores([]).score == {}


# --- live accumulator -----------------------------------------------------------------------


def test_accumulator_is_idempotent_and_reads_one_queue(make_contact) -> None:
    acc = kpi.KpiAccumulator(TARGETS)
    c = make_contact(wait=5)
    assert acc.add_contact(c) is True
    assert acc.add_contact(c) is False
    f = acc.queue("regular", DAY)
    assert (f["offered"], f["service_level"], f["met_target"]) == (1, 1.0, True)
    assert acc.queue("regular", f"{DAY}T09:00")["offered"] == 1
    assert acc.queue("vip", DAY)["offered"] == 0


def test_accumulator_corrects_fcr_when_the_repeat_arrives_later(make_contact) -> None:
    acc = kpi.KpiAccumulator(TARGETS)
    first = make_contact(customer_id="X")
    acc.add_contact(first)
    assert acc.queue("regular", DAY)["fcr_24h"] == 1.0
    acc.add_contact(make_contact(customer_id="X", at=600, answered=False))
    assert acc.queue("regular", DAY)["fcr_24h"] == 0.0
    assert acc.agent_day()["A1"][DAY]["fcr_7d"] == 0.0


def test_accumulator_forgets_old_days(make_contact) -> None:
    acc = kpi.KpiAccumulator(TARGETS)
    acc.add_contact(make_contact(base=at("09:00:00", "2026-03-01")))
    acc.add_contact(make_contact())
    acc.forget_before(date(2026, 3, 2))
    assert list(acc.queue_day()["regular"]) == [DAY]
