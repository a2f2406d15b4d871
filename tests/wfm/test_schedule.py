"""Schedules: every rule holds in the output (checked independently of the solver), CLI contract."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from hotline.cli import app
from hotline.wfm import schedule as SC

runner = CliRunner()
START = datetime(2026, 3, 2)


def _requirements(days: int = 3, peak: int = 6) -> list[int]:
    out = []
    for d in range(days):
        for i in range(48):  # 30-minute intervals
            h = i / 2
            v = 1 if h < 7 or h >= 22 else peak if 9 <= h < 12 or 14 <= h < 18 else peak // 2
            out.append(max(0, v - (d == 2)))
    return out


def _write_requirements(path, req: dict[str, list[int]], interval_min: int = 30) -> None:  # type: ignore[no-untyped-def]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        multi = len(req) > 1
        w.writerow(["interval_start", "agents"] + (["queue"] if multi else []))
        for q, vals in req.items():
            for g, v in enumerate(vals):
                w.writerow(
                    [(START + timedelta(minutes=interval_min * g)).strftime("%Y-%m-%d %H:%M"), v]
                    + ([q] if multi else [])
                )


RULES = {
    "solver": {"time_limit_s": 4.0, "workers": 2},
    "week": {"max_days": 2, "max_paid_minutes": 960, "min_rest_between_shifts_min": 660},
    "night": {"start": "22:00", "end": "06:00", "max_shifts_per_week": 1},
}


def test_schedule_cli_output_obeys_every_rule(tmp_path, schedule_checker) -> None:  # type: ignore[no-untyped-def]
    req = {"": _requirements()}
    _write_requirements(tmp_path / "req.csv", req)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(RULES), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "wfm",
            "schedule",
            "--requirements",
            str(tmp_path / "req.csv"),
            "--rules",
            str(tmp_path / "rules.yaml"),
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] in ("OPTIMAL", "FEASIBLE")
    assert 0.0 <= summary["within_5pct_share"] <= 1.0
    with (out / "schedule.csv").open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["agent_id", "date", "activity", "start", "end"]
        acts = {r["activity"] for r in reader}
    assert acts == {"shift", "meal", "break"} or acts == {"shift", "break"}
    with (out / "coverage.csv").open(encoding="utf-8") as fh:
        assert csv.DictReader(fh).fieldnames == ["interval_start", "required", "scheduled"]
    errors = schedule_checker(
        out / "schedule.csv", out / "coverage.csv", req, START, 30, SC.merged_rules(RULES)
    )
    assert errors == []
    # the summary agrees with the files
    with (out / "coverage.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    hits = sum(abs(int(r["scheduled"]) - int(r["required"])) <= 0.05 * int(r["required"]) for r in rows)
    assert summary["within_5pct_share"] == pytest.approx(hits / len(rows))


def test_skills_availability_and_preferences_hold(tmp_path, schedule_checker) -> None:  # type: ignore[no-untyped-def]
    req = {"10000": _requirements(2, 4), "10086": _requirements(2, 3)}
    agents = (
        [
            {"id": f"G{i}", "queues": ["10000"], "unavailable": ["2026-03-03"] if i < 3 else []}
            for i in range(8)
        ]
        + [{"id": f"M{i}", "queues": ["10086"], "prefer_start": ["06:00", "12:00"]} for i in range(6)]
        + [{"id": "X0", "queues": ["10000", "10086"]}]
    )
    rules = {**RULES, "agents": agents}
    result = SC.solve(req, START, 30, rules)
    assert result.status in ("OPTIMAL", "FEASIBLE", "PARTIAL")  # PARTIAL: a stage-1 shift found no agent
    assert result.summary()["shifts"] > 0
    _write_requirements(tmp_path / "req.csv", req)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        [
            "wfm",
            "schedule",
            "--requirements",
            str(tmp_path / "req.csv"),
            "--rules",
            str(tmp_path / "rules.yaml"),
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    spec = {a["id"]: a for a in agents}
    errors = schedule_checker(
        out / "schedule.csv", out / "coverage.csv", req, START, 30, SC.merged_rules(rules), spec
    )
    assert errors == []
    with (out / "schedule.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["activity"] == "shift"]
    assert {r["queue"] for r in rows} <= {"10000", "10086"}
    assert not any(r["agent_id"] in ("G0", "G1", "G2") and r["date"] == "2026-03-03" for r in rows)


def test_checker_catches_a_broken_schedule(tmp_path, schedule_checker) -> None:  # type: ignore[no-untyped-def]
    req = {"": [1] * 48}
    sched = tmp_path / "s.csv"
    sched.write_text(
        "agent_id,date,activity,start,end\n"
        "A,2026-03-02,shift,2026-03-02 08:00,2026-03-02 16:30\n"  # 8.5 h shift without its meal and rests
        "A,2026-03-02,shift,2026-03-02 17:00,2026-03-02 21:00\n",  # second shift the same day
        encoding="utf-8",
    )
    cov = tmp_path / "c.csv"
    cov.write_text("interval_start,required,scheduled\n", encoding="utf-8")
    errors = schedule_checker(sched, cov, req, START, 30, SC.merged_rules(None))
    assert any("more than one shift" in e for e in errors)
    assert any("meals" in e for e in errors)
    assert any("coverage.csv has" in e for e in errors)


def test_rules_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown rules section"):
        SC.merged_rules({"shfts": {}})
    with pytest.raises(ValueError, match="unknown key"):
        SC.merged_rules({"week": {"max_dayz": 3}})


def test_schedule_cli_bad_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "r.csv").write_text("interval_start,agents\n2026-03-02 00:00,-1\n", encoding="utf-8")
    res = runner.invoke(
        app, ["wfm", "schedule", "--requirements", str(tmp_path / "r.csv"), "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 2 and "--requirements" in res.output
    (tmp_path / "r.csv").write_text("interval_start,agents\n2026-03-02 00:00,1\n", encoding="utf-8")
    (tmp_path / "rules.yaml").write_text("week: {max_dayz: 1}\n", encoding="utf-8")
    res = runner.invoke(
        app,
        [
            "wfm",
            "schedule",
            "--requirements",
            str(tmp_path / "r.csv"),
            "--rules",
            str(tmp_path / "rules.yaml"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 2 and "--rules" in res.output and "Traceback" not in res.output


def test_band_cost_is_exact_below_twenty_and_counts_intervals_outside() -> None:
    w = SC._Weights.of(SC.merged_rules(None))

    def cost(scheduled: int, required: int) -> float:
        r = np.array([required], dtype=float)
        return float(w.cost(np.array([scheduled], dtype=float), r, np.floor(0.05 * r + 1e-9))[0])

    assert cost(10, 10) == 0.0
    assert cost(11, 10) == w.outside + w.over + w.band_over  # below 20 required the band is exact
    assert cost(21, 20) == w.band_over  # +-1 agent at 20
    assert cost(38, 40) == 2 * w.band_under  # +-2 at 40: inside, only the small in-band weight
    assert cost(37, 40) == w.under + w.outside + 3 * w.band_under
    # under-coverage first: one agent short beyond the band costs more than 18 agents too many
    assert cost(37, 40) > cost(60, 40)


def _one_day_15min() -> list[int]:
    # a two-peak day on 15-minute intervals: a quiet night of 3, peaks of 24 and 18
    h = (np.arange(96) + 0.5) / 4
    prof = 3 + 21 * np.exp(-((h - 10) ** 2) / 4) + 15 * np.exp(-((h - 15) ** 2) / 5)
    return [round(v) for v in prof]


def test_default_rules_fill_the_band_first(tmp_path, schedule_checker) -> None:  # type: ignore[no-untyped-def]
    """15-minute intervals and starts, default rules: every rule holds, no interval is short beyond its
    band (the first objective), and most intervals land inside it."""
    cells, starts = _schedule_15min(
        tmp_path, schedule_checker, {"": _one_day_15min()}, {"solver": {"time_limit_s": 4.0, "workers": 2}}
    )
    assert all(s >= r - int(0.05 * r + 1e-9) for r, s in cells)
    assert sum(abs(s - r) <= 0.05 * r + 1e-9 for r, s in cells) >= 0.7 * len(cells)
    assert any(s.endswith((":15", ":45")) for s in starts)  # quarter-hour starts are used


def _schedule_15min(tmp_path, checker, req, rules):  # type: ignore[no-untyped-def]
    """Run the CLI on 15-minute requirements, check every rule; (required, scheduled) cells, start times."""
    _write_requirements(tmp_path / "req.csv", req, 15)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    out = tmp_path / "out"
    args = ["--requirements", str(tmp_path / "req.csv"), "--rules", str(tmp_path / "rules.yaml")]
    res = runner.invoke(app, ["wfm", "schedule", *args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert checker(out / "schedule.csv", out / "coverage.csv", req, START, 15, SC.merged_rules(rules)) == []
    with (out / "coverage.csv").open(encoding="utf-8") as fh:
        cells = [(int(r["required"]), int(r["scheduled"])) for r in csv.DictReader(fh)]
    with (out / "schedule.csv").open(encoding="utf-8") as fh:
        starts = {r["start"][-5:] for r in csv.DictReader(fh) if r["activity"] == "shift"}
    return cells, starts


@pytest.mark.slow
def test_benchmark_week_reaches_ninety_percent_in_the_band(tmp_path, schedule_checker) -> None:  # type: ignore[no-untyped-def]
    """Issue #8: the benchmark week (7 x 96 intervals with breaks, default rules) has >= 90 % of its
    intervals within +-5 %, every rule holding, in <= 60 s."""
    import importlib.util
    import time
    from pathlib import Path

    path = Path(__file__).parents[2] / "benchmarks" / "wfm" / "schedule_bench.py"
    spec = importlib.util.spec_from_file_location("schedule_bench", path)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    t0 = time.perf_counter()
    cells, _starts = _schedule_15min(tmp_path, schedule_checker, {"": bench.requirements()}, {})
    assert time.perf_counter() - t0 <= 60 + 15  # the solve's 50 s limit, plus writing and checking
    assert sum(abs(s - r) <= 0.05 * r + 1e-9 for r, s in cells) >= 0.9 * len(cells)


def test_roster_repair_staffs_what_it_can_within_the_rules() -> None:
    """The repair gives the most useful shift to an agent with room left, re-checking that agent's rules."""
    rules = SC.merged_rules(
        {
            "shifts": {"lengths_min": [240], "start_step_min": 60},
            "rests": {"duration_min": 0},
            "week": {"max_days": 1, "max_paid_minutes": 2400, "min_rest_between_shifts_min": 660},
        }
    )
    temps = SC._templates(rules)
    keys = [(d, ti, 0, "") for d in range(2) for ti in range(len(temps))]
    cover = {(ti, 0): list(range(t.start_min // 60, (t.start_min + 240) // 60)) for ti, t in enumerate(temps)}
    req = {"": [2 if 8 <= h % 24 < 12 else 0 for h in range(48)]}
    agents = [
        SC.Agent("A", ("",), unavailable=frozenset({START.date()})),
        SC.Agent("B", ("",)),
        SC.Agent("C", ("",)),
    ]
    plan: dict[int, dict[int, tuple[int, int, str]]] = {}
    days = [START.date(), START.date() + timedelta(days=1)]
    SC._repair_roster(plan, keys, cover, agents, days, temps, set(), req, 24, rules, float("inf"))
    eight = next(ti for ti, t in enumerate(temps) if t.start_min == 480)
    assert plan[1] == {0: (eight, 0, "")} and plan[2] == {0: (eight, 0, "")}  # B and C on Monday 08:00
    assert plan[0] == {1: (eight, 0, "")}  # A is off on Monday; one day each: only A is left on Tuesday
