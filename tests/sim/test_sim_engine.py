"""Simulator behaviour: determinism, independent replications, processes, shifts, overflow, the CLI
contract and the wall-clock driver."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from hotline.cli import app
from hotline.sim import engine
from hotline.sim.realtime import JsonLinesSink, WallPacer
from hotline.sim.scenario import parse

TIMING = ("wall_s", "sim_calls_per_s")


def small(**over) -> dict:
    data = {
        "duration_s": 4 * 3600,
        "seed": 5,
        "replications": 4,
        "queues": [
            {
                "name": "regular",
                "arrivals_per_hour": 400,
                "aht_s": 180,
                "patience_s": 90,
                "sl_threshold_s": 20,
            }
        ],
        "agents": [{"count": 21, "skills": {"regular": 1}}],
    }
    data.update(over)
    return data


def strip(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in TIMING}


def test_same_seed_same_result_and_processes_do_not_change_it():
    sc = parse(small())
    a = engine.run(sc)
    assert strip(engine.run(sc)) == strip(a)
    assert strip(engine.run(sc, jobs=2)) == strip(a)
    assert strip(engine.run(sc, seed=6)) != strip(a)
    q = a["queues"]["regular"]
    assert q["offered"] == q["answered"] + q["abandoned"]
    assert q["service_level_ci95"] is not None and a["replications"] == 4
    assert a["sim_calls_per_s"] > 0


def test_replications_are_independent_spawned_streams():
    sc = parse(small())
    reps = engine.replicate(sc)
    streams = np.random.SeedSequence(5).spawn(4)
    assert reps[2].queues == engine.simulate(sc, streams[2]).queues
    assert len({r.queues["regular"].offered for r in reps}) == 4


def test_every_contact_is_answered_or_abandoned_and_occupancy_is_sane():
    sc = parse(small(replications=1))
    (rep,) = engine.replicate(sc)
    q = rep.queues["regular"]
    assert q.offered == rep.contacts  # no warm-up: every simulated contact is counted
    assert q.answered + q.abandoned == q.offered
    assert 0.5 < rep.busy_s / rep.staffed_s < 1.0
    assert rep.staffed_s == pytest.approx(21 * 4 * 3600)


def test_no_patience_means_no_abandons():
    data = small(replications=1)
    del data["queues"][0]["patience_s"]
    r = engine.run(parse(data))
    assert r["queues"]["regular"]["abandoned"] == 0 and r["queues"]["regular"]["abandon_rate"] == 0


def test_overflow_moves_contacts_and_counts_them_in_their_final_queue():
    data = small(replications=1)
    data["queues"] = [
        {
            "name": "regular",
            "arrivals_per_hour": 400,
            "aht_s": 180,
            "overflow": [{"after_s": 10, "to_queue": "backup"}],
        },
        {"name": "backup", "arrivals_per_hour": 0, "aht_s": 180, "sl_threshold_s": 60},
    ]
    data["agents"] = [{"count": 18, "skills": {"regular": 1}}, {"count": 3, "skills": {"backup": 1}}]
    r = engine.run(parse(data))
    reg, back = r["queues"]["regular"], r["queues"]["backup"]
    assert back["overflow_in"] > 0 and back["overflow_in"] == reg["overflow_out"]
    assert back["offered"] == back["overflow_in"]  # nothing arrives there directly
    assert back["answered"] + reg["answered"] == reg["offered"] + back["offered"]


def test_shifts_staff_only_their_hours():
    data = small(replications=1)
    data["agents"] = [
        {"count": 21, "skills": {"regular": 1}, "shifts": [{"start_s": 0, "end_s": 7200}]},
        {"count": 21, "skills": {"regular": 1}, "shifts": [{"start_s": 7200, "end_s": 14400}]},
    ]
    (rep,) = engine.replicate(parse(data))
    # 42 agents x 2 h, plus the minutes each first-shift agent stays to finish a contact
    assert 42 * 7200 <= rep.staffed_s < 42 * 7200 + 21 * 1800
    assert rep.queues["regular"].answered > 0.9 * rep.contacts


def test_answer_delay_goes_through_offers_and_rings_out_when_longer_than_the_timeout():
    data = small(replications=1, answer_delay_s=3)
    r = engine.run(parse(data))["queues"]["regular"]
    assert r["answered"] > 0 and r["asa_s"] >= 3
    records: list[dict] = []
    data = small(replications=1, answer_delay_s=20, offer_timeout_s=15, duration_s=600)
    engine.simulate(parse(data), np.random.SeedSequence(1), observer=records.append)
    kinds = {r["type"] for r in records}
    assert {"offer", "offer_cancelled", "set_not_ready", "requeue"} <= kinds
    assert "connect" not in kinds  # every offer rang out


def test_rate_profile_and_other_distributions_run():
    data = small(replications=2)
    data["queues"][0] = {
        "name": "regular",
        "arrivals_per_hour": [100, 800],
        "handle_time": {"dist": "lognormal", "mean_s": 180, "sd_s": 120},
        "patience": {"dist": "empirical", "values_s": [5, 30, 60, 300]},
        "vip_share": 0.1,
    }
    r = engine.run(parse(data))
    assert r["queues"]["regular"]["offered"] == pytest.approx(4 * 450, rel=0.15)


def test_cli_json_contract(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(small()))  # JSON is YAML
    res = CliRunner().invoke(
        app, ["sim", "--scenario", str(path), "--json", "--replications", "3", "--seed", "9"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    q = out["queues"]["regular"]
    for key in ("offered", "answered", "abandoned", "service_level", "asa_s", "abandon_rate"):
        assert isinstance(q[key], float) and isinstance(q[f"{key}_ci95"], float)
    assert out["replications"] == 3 and 0 < out["occupancy"] < 1 and out["sim_calls_per_s"] > 0
    table = CliRunner().invoke(app, ["sim", "--scenario", str(path), "--replications", "2"])
    assert table.exit_code == 0 and "regular" in table.stdout


def test_cli_bad_scenario_names_the_field(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(small(duration_s=-1)))
    res = CliRunner().invoke(app, ["sim", "--scenario", str(path), "--json"])
    assert res.exit_code == 2
    assert "duration_s" in res.stderr


def test_wall_pacer_sleeps_virtual_time_over_factor():
    now = [100.0]
    slept: list[float] = []

    def sleep(d: float) -> None:
        slept.append(d)
        now[0] += d

    pace = WallPacer(60, monotonic=lambda: now[0], sleep=sleep)
    for t in (0, 60, 60, 600, 3600):
        pace(t)
    assert sum(slept) == pytest.approx(3600 / 60)
    assert now[0] == pytest.approx(160.0)


def test_realtime_streams_events_as_json_lines(tmp_path):
    buf = io.StringIO()
    sc = parse(small(duration_s=900, replications=1))
    now = [0.0]
    pace = WallPacer(1e6, monotonic=lambda: now[0], sleep=lambda d: now.__setitem__(0, now[0] + d))
    rep = engine.simulate(sc, np.random.SeedSequence(1), observer=JsonLinesSink(buf), pace=pace)
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    arrivals = [r for r in lines if r["type"] == "arrival"]
    assert len(arrivals) == rep.contacts > 0
    assert {"connect", "end"} <= {r["type"] for r in lines}
    times = [r.get("t", r.get("at")) for r in lines]
    assert times == sorted(times)
    # the CLI path: --realtime with a huge factor finishes at once and ends with a summary line
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(small(duration_s=600, replications=1)))
    res = CliRunner().invoke(app, ["sim", "--scenario", str(path), "--realtime", "1e9"])
    assert res.exit_code == 0, res.output
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert out[-1]["type"] == "summary" and out[0]["type"] == "arrival"
