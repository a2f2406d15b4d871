"""Model features beyond M/M/c: IVR self-service, talk/hold/ACW, breaks and not-ready time,
transfers to expert desks, arrival profiles from a forecast or a recorded day, KPI figures."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest

from hotline.core.clock import LOCAL_TZ
from hotline.reports import contactlog, kpi
from hotline.sim import engine
from hotline.sim.scenario import ScenarioError, load, parse


def scenario(queues, agents, **top) -> dict:
    return {"duration_s": 4 * 3600, "seed": 11, "replications": 1, "queues": queues, "agents": agents, **top}


def test_ivr_self_service_share_matches_its_probability_within_the_ci():
    data = scenario(
        [{"name": "regular", "aht_s": 120}, {"name": "billing", "aht_s": 120}],
        [{"count": 30, "skills": {"regular": 1, "billing": 1}}],
        replications=8,
        ivr={
            "arrivals_per_hour": 900,
            "paths": [
                {"queue": "regular", "probability": 0.7, "self_serve": 0.3, "ivr_time_s": 40},
                {"queue": "billing", "probability": 0.3, "ivr_time": {"dist": "exponential", "mean_s": 25}},
            ],
        },
    )
    sc = parse(data)
    reps = engine.replicate(sc)
    shares = []
    for r in reps:
        reg, bil = r.queues["regular"], r.queues["billing"]
        shares.append(reg.self_served / (reg.self_served + reg.offered))
        assert bil.self_served == 0
        assert r.contacts == reg.self_served + reg.offered + bil.offered  # no warm-up: all counted
    mean, ci = engine._mean_ci(shares)
    assert abs(mean - 0.3) <= max(ci, 0.01) + 0.01, (mean, ci)
    # branch shares: regular gets 70 % of the IVR contacts
    total = sum(r.contacts for r in reps)
    reg_share = sum(r.queues["regular"].self_served + r.queues["regular"].offered for r in reps) / total
    assert reg_share == pytest.approx(0.7, abs=0.02)
    out = engine.summarise(sc, reps, 1.0)["queues"]["regular"]
    assert out["self_served"] == pytest.approx(np.mean([r.queues["regular"].self_served for r in reps]))


def test_ivr_time_delays_queueing():
    data = scenario(
        [{"name": "regular", "aht_s": 60}],
        [{"count": 5, "skills": {"regular": 1}}],
        duration_s=600,
        ivr={"arrivals_per_hour": 60, "paths": [{"queue": "regular", "probability": 1, "ivr_time_s": 1000}]},
    )
    records: list[dict] = []
    rep = engine.simulate(parse(data), np.random.SeedSequence(1), observer=records.append)
    arrivals = [r["t"] for r in records if r["type"] == "arrival"]
    assert arrivals and min(arrivals) >= 1000  # everyone spent 1000 s in the IVR before queueing
    assert rep.queues["regular"].answered == len(arrivals)


@pytest.mark.parametrize("acw", [0, 60])
def test_acw_raises_occupancy_as_expected(acw):
    rate, talk, agents = 200.0, 120.0, 20  # 6.7 (or 10) Erlangs on 20 agents: hardly any wait
    q = {"name": "regular", "arrivals_per_hour": rate, "talk": {"dist": "exponential", "mean_s": talk}}
    if acw:
        q["acw"] = {"dist": "constant", "mean_s": acw}
        q["hold"] = {"dist": "constant", "mean_s": 0.5}
    data = scenario([q], [{"count": agents, "skills": {"regular": 1}}], duration_s=12 * 3600, warmup_s=1800)
    r = engine.run(parse(data))
    reg = r["queues"]["regular"]
    busy = talk + (acw + 0.5 if acw else 0)
    expected = rate / 3600 * busy / agents
    assert r["occupancy"] == pytest.approx(expected, rel=0.04)
    assert reg["avg_acw_s"] == pytest.approx(acw)
    assert reg["aht_s"] == pytest.approx(reg["avg_talk_s"] + reg["avg_hold_s"] + reg["avg_acw_s"])
    assert reg["aht_s"] == pytest.approx(busy, rel=0.05)
    assert reg["occupancy"] == pytest.approx(r["occupancy"])  # one group serves the one queue


def test_transfer_creates_expert_queue_load():
    data = scenario(
        [
            {
                "name": "regular",
                "arrivals_per_hour": 600,
                "aht_s": 150,
                "transfers": [{"to_queue": "expert", "probability": 0.2}],
            },
            {"name": "expert", "aht_s": 300, "patience_s": 600},
        ],
        [{"count": 32, "skills": {"regular": 1}}, {"name": "exp", "count": 12, "skills": {"expert": 1}}],
        replications=3,
    )
    r = engine.run(parse(data))
    reg, exp = r["queues"]["regular"], r["queues"]["expert"]
    assert exp["offered"] == pytest.approx(reg["transferred"])  # every second leg queues at the expert desk
    assert reg["transfer_rate"] == pytest.approx(0.2, abs=0.02)
    assert exp["answered"] + exp["abandoned"] == exp["offered"]
    # expert load: 600/h x 20 % x 300 s = 10 Erlangs on 12 experts
    groups = {g["name"]: g for g in r["agent_groups"]}
    assert groups["exp"]["occupancy"] == pytest.approx(10 / 12, rel=0.08)
    assert exp["occupancy"] == pytest.approx(groups["exp"]["occupancy"])


def test_breaks_take_agents_off_for_their_length_and_occupancy_leaves_them_out():
    data = scenario(
        [{"name": "regular", "arrivals_per_hour": 300, "aht_s": 120}],
        [
            {
                "count": 12,
                "skills": {"regular": 1},
                "breaks": [{"after_s": 3600, "duration_s": 900, "stagger_s": 1800}],
            }
        ],
    )
    sc = parse(data)
    records: list[dict] = []
    rep = engine.simulate(sc, np.random.SeedSequence(2), observer=records.append)
    g = rep.groups[0]
    assert g.not_ready_s == pytest.approx(12 * 900)
    assert g.staffed_s == pytest.approx(12 * 4 * 3600)
    tc = g.time_counts()
    assert tc.occupancy == pytest.approx(g.busy_s / (g.staffed_s - g.not_ready_s))
    # nobody is connected while on break
    for aid in ("g0-0", "g0-7"):
        (start,) = [r["t"] for r in records if r["type"] == "not_ready" and r["agent"] == aid]
        (end,) = [r["t"] for r in records if r["type"] == "ready" and r["agent"] == aid]
        assert end == pytest.approx(start + 900) and start >= 3600 + 1800 * int(aid[-1]) / 12
        assert not [
            r for r in records if r["type"] == "connect" and r["agent_id"] == aid and start <= r["at"] < end
        ]


def test_not_ready_episodes_and_shift_end_during_acw():
    data = scenario(
        [
            {
                "name": "regular",
                "arrivals_per_hour": 300,
                "talk": {"dist": "constant", "mean_s": 100},
                "acw": {"dist": "constant", "mean_s": 50},
            }
        ],
        [
            {
                "count": 10,
                "skills": {"regular": 1},
                "shifts": [{"start_s": 0, "end_s": 7200}, {"start_s": 7200, "end_s": 14400}],
                "not_ready": {
                    "interval": {"dist": "exponential", "mean_s": 1800},
                    "duration": {"dist": "constant", "mean_s": 60},
                },
            }
        ],
    )
    (rep,) = engine.replicate(parse(data))
    g = rep.groups[0]
    # ~10 agents x 4 h / 30 min = 80 episodes of 60 s (fewer while busy is impossible: they wait)
    assert 30 * 60 <= g.not_ready_s <= 140 * 60
    assert g.staffed_s >= 10 * 4 * 3600 - 1e-6
    assert rep.queues["regular"].answered + rep.queues["regular"].abandoned == rep.queues["regular"].offered


def test_short_abandons_leave_the_service_level_denominator():
    data = scenario(
        [
            {
                "name": "regular",
                "arrivals_per_hour": 400,
                "aht_s": 180,
                "patience": {"dist": "empirical", "values_s": [2, 300]},
            }
        ],
        [{"count": 20, "skills": {"regular": 1}}],
        short_abandon_s=5,
    )
    sc = parse(data)
    (rep,) = engine.replicate(sc)
    t = rep.queues["regular"]
    assert t.short_abandoned > 0
    fig = engine.queue_figures(t)
    assert fig["service_level"] == pytest.approx(t.answered_within / (t.offered - t.short_abandoned))
    assert fig["abandon_rate"] == pytest.approx(
        (t.abandoned - t.short_abandoned) / (t.offered - t.short_abandoned)
    )
    assert (
        fig["service_level"]
        == kpi.ContactCounts(
            offered=t.offered, short_abandoned=t.short_abandoned, answered_in_threshold=t.answered_within
        ).service_level
    )


def _forecast(path, rows) -> None:
    path.write_text("interval_start,calls,queue\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))


def test_forecast_csv_sets_per_interval_rates(tmp_path):
    _forecast(
        tmp_path / "f.csv",
        [
            ("2026-03-02 00:00", 50, "regular"),
            ("2026-03-02 00:30", 150, "regular"),
            ("2026-03-03 00:00", 999, "regular"),
        ],
    )
    (tmp_path / "s.yaml").write_text(
        json.dumps(
            {
                "duration_s": 3600,
                "arrivals_from": {"forecast_csv": "f.csv"},
                "queues": [
                    {"name": "regular", "aht_s": 60},
                    {"name": "vip", "arrivals_per_hour": 5, "aht_s": 60},
                ],
                "agents": [{"count": 8, "skills": {"regular": 1, "vip": 1}}],
            }
        )
    )
    sc = load(tmp_path / "s.yaml")
    prof = sc.queues[0].arrivals_per_hour
    assert isinstance(prof, list) and len(prof) == 48
    assert prof[:2] == [100.0, 300.0] and sum(prof) == 400.0  # the first day only
    assert sc.queues[1].arrivals_per_hour == 5
    reps = engine.replicate(sc, replications=6)
    assert np.mean([r.queues["regular"].offered for r in reps]) == pytest.approx(200, rel=0.15)


def test_forecast_csv_errors_name_the_field(tmp_path):
    _forecast(tmp_path / "f.csv", [("2026-03-02 00:00", 50, "nowhere")])
    data = {
        "duration_s": 3600,
        "arrivals_from": {"forecast_csv": "f.csv"},
        "queues": [{"name": "regular", "aht_s": 60}],
        "agents": [{"count": 1, "skills": {"regular": 1}}],
    }
    with pytest.raises(ScenarioError, match=r"arrivals_from\.forecast_csv: unknown queue 'nowhere'"):
        parse(data, base_dir=tmp_path)
    _forecast(tmp_path / "f.csv", [("soon", 50, "regular")])
    with pytest.raises(
        ScenarioError, match=r"arrivals_from\.forecast_csv: .*line 2, column 'interval_start'"
    ):
        parse(data, base_dir=tmp_path)


def test_recorded_day_from_a_contact_log(tmp_path):
    day = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)
    contacts = []
    for k in range(30):
        at = day + timedelta(minutes=k)  # 09:00-09:29 local: one interval
        contacts.append(
            kpi.Contact(
                contact_id=str(k),
                channel="voice",
                queue="billing" if k % 3 else "regular",
                customer_id="",
                customer_segment="",
                business_type="",
                arrived_at=at,
                queued_at=at + timedelta(seconds=20),
                abandoned_at=at + timedelta(seconds=40),
                outcome="abandoned",
            )
        )
    contactlog.write_contacts(tmp_path / "log.csv", contacts)
    data = {
        "duration_s": 86400,
        "arrivals_from": {"contact_log": str(tmp_path / "log.csv"), "date": "2026-03-02"},
        "queues": [{"name": "regular", "aht_s": 60}, {"name": "billing", "aht_s": 60}],
        "agents": [{"count": 1, "skills": {"regular": 1, "billing": 1}}],
    }
    sc = parse(data)
    reg, bil = sc.queues[0].arrivals_per_hour, sc.queues[1].arrivals_per_hour
    assert reg[18] == 10 * 2 and bil[18] == 20 * 2 and sum(reg) + sum(bil) == 60


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"transfers": [{"to_queue": "nowhere", "probability": 0.1}]}, "queues.0.transfers.0.to_queue"),
        (
            {
                "aht_s": None,
                "hold": {"dist": "constant", "mean_s": 5},
                "handle_time": {"dist": "constant", "mean_s": 5},
            },
            "queues.0.talk",
        ),
        ({"aht_s": 100, "talk": {"dist": "constant", "mean_s": 5}}, "queues.0.aht_s"),
    ],
)
def test_bad_new_fields_name_the_field(patch, field):
    q = {"name": "regular", "arrivals_per_hour": 10, "aht_s": 60, **patch}
    q = {k: v for k, v in q.items() if v is not None}
    with pytest.raises(ScenarioError) as info:
        parse(scenario([q], [{"count": 1, "skills": {"regular": 1}}]))
    assert f"\n  {field}: " in str(info.value), str(info.value)


def test_ivr_probabilities_must_add_up():
    data = scenario(
        [{"name": "regular", "aht_s": 60}],
        [{"count": 1, "skills": {"regular": 1}}],
        ivr={"arrivals_per_hour": 10, "paths": [{"queue": "regular", "probability": 0.5}]},
    )
    with pytest.raises(ScenarioError, match=r"ivr\.paths: the probabilities must add up to 1"):
        parse(data)


def test_richer_model_is_deterministic_whatever_the_processes():
    data = scenario(
        [
            {
                "name": "regular",
                "talk": {"dist": "exponential", "mean_s": 120},
                "acw": {"dist": "exponential", "mean_s": 20},
                "patience_s": 90,
                "transfers": [{"to_queue": "expert", "probability": 0.1}],
            },
            {"name": "expert", "aht_s": 200, "patience_s": 200},
        ],
        [
            {
                "count": 12,
                "skills": {"regular": 1},
                "breaks": [{"after_s": 3600, "duration_s": 600, "stagger_s": 1200}],
                "not_ready": {
                    "interval": {"dist": "exponential", "mean_s": 2400},
                    "duration": {"dist": "exponential", "mean_s": 60},
                },
            },
            {"count": 3, "skills": {"expert": 1}},
        ],
        duration_s=2 * 3600,
        replications=3,
        ivr={"arrivals_per_hour": 500, "paths": [{"queue": "regular", "probability": 1, "self_serve": 0.2}]},
    )
    sc = parse(data)
    timing = ("wall_s", "sim_calls_per_s")
    a = {k: v for k, v in engine.run(sc).items() if k not in timing}
    assert a == {k: v for k, v in engine.run(sc, jobs=2).items() if k not in timing}
    assert a != {k: v for k, v in engine.run(sc, seed=99).items() if k not in timing}
    assert a["queues"]["expert"]["offered"] == a["queues"]["regular"]["transferred"] > 0
