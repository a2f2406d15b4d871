"""Schedule benchmark: one week x 96 fifteen-minute intervals with breaks, hotline vs pyworkforce
MinAbsDifference on the same requirements, in one run.

Run:  .venv/bin/python benchmarks/wfm/schedule_bench.py [--seconds 50] [--start-step 15] [--flexible]

Requirements: a 10000-style 24x7 queue, 220 calls per 15 minutes at the daily peak, a two-peak day
with an evening shoulder and a quiet night, Monday busiest and Sunday quietest; agents per interval
from hotline.wfm.erlang.staff_c (80/20, AHT 240 s).

* hotline: hotline.wfm.schedule.solve with the default rules (8.5 h shifts with a meal and two rests,
  6 h and 4 h part-time shifts with one rest, starts every 15 min, 5 days a week, 40 paid hours,
  11 h rest, at most 3 night shifts) -- or `--start-step 30` for half-hour starts, or `--flexible`:
  lengths 8.5/7.5/6.5/5.5/4.5 h.  Every rule is per agent; the result is a roster.
* pyworkforce MinAbsDifference: counts per (day, shift) with the same shift lengths and starts inside
  each day (it cannot cross midnight), each shift's breaks fixed at the middle of its options (it has
  no break placement), no agents, days off or rest rules; same time limit, 2 workers.

Metric: share of intervals whose on-phone count is within +-5 % of required (goal >= 90 %), and solve
time (goal <= 60 s on 2 cores).  The band is rounded down to whole agents, so below 20 required it
means exactly the required count; the misses are split at that line.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

import numpy as np

from hotline.wfm import erlang as E
from hotline.wfm import schedule as SC

PER_DAY = 96
DAY_FACTORS = (1.15, 1.05, 1.0, 1.0, 0.97, 0.8, 0.75)


def requirements() -> list[int]:
    h = (np.arange(PER_DAY) + 0.5) / 4
    prof = (
        0.08
        + np.exp(-((h - 10) ** 2) / 4)
        + 0.8 * np.exp(-((h - 15) ** 2) / 5)
        + 0.3 * np.exp(-((h - 20.5) ** 2) / 2)
    )
    return [
        E.staff_c(E.offered_load(round(220 * prof[i] * f), 900, 240), 240, 0.8, 20).agents
        for f in DAY_FACTORS
        for i in range(PER_DAY)
    ]


def within(req: list[int], got: list[int], tol: float = 0.05) -> float:
    return float(np.mean([abs(s - r) <= tol * r + 1e-9 for r, s in zip(req, got, strict=True)]))


def misses(req: list[int], got: list[int], tol: float = 0.05) -> str:
    out = [(r, s) for r, s in zip(req, got, strict=True) if abs(s - r) > tol * r + 1e-9]
    low = [x for x in out if x[0] < 20]
    under = sum(s < r for r, s in out)
    return f"{len(out)} outside ({len(low)} where required < 20, i.e. exact; {under} under, {len(out) - under} over)"


def pyworkforce_run(req: list[int], rules: dict, seconds: float) -> tuple[list[int], float, str]:
    from pyworkforce.scheduling import MinAbsDifference

    interval = 15
    coverage = {}
    for t in SC._templates(rules):
        if t.start_min + t.length_min > 1440:
            continue  # pyworkforce shifts live inside one day
        pats = SC.break_patterns(t, rules)
        pat = pats[len(pats) // 2]
        row = [0] * PER_DAY
        for i in range(t.start_min // interval, (t.start_min + t.length_min) // interval):
            row[i] = 1
        for _n, a, b in pat:
            for i in range((t.start_min + a) // interval, -(-(t.start_min + b) // interval)):
                row[i] = 0
        coverage[f"{t.start_min}_{t.length_min}"] = row
    days = [req[d * PER_DAY : (d + 1) * PER_DAY] for d in range(7)]
    t0 = time.perf_counter()
    solver = MinAbsDifference(
        num_days=7,
        periods=PER_DAY,
        shifts_coverage=coverage,
        required_resources=days,
        max_period_concurrency=int(max(req) * 2),
        max_shift_concurrency=int(max(req)),
        max_search_time=seconds,
        num_search_workers=2,
    )
    sol = solver.solve()
    elapsed = time.perf_counter() - t0
    got = [0] * len(req)
    for item in sol["resources_shifts"]:
        if item["day"] < 0:
            continue
        row = coverage[item["shift"]]
        for i in range(PER_DAY):
            got[item["day"] * PER_DAY + i] += item["resources"] * row[i]
    return got, elapsed, sol["status"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=50.0, help="time limit for each solver")
    parser.add_argument("--start-step", type=int, default=15, help="minutes between shift starts")
    parser.add_argument("--flexible", action="store_true", help="lengths 8.5/7.5/6.5/5.5/4.5 h")
    args = parser.parse_args(argv)
    req = requirements()
    overrides: dict = {
        "solver": {"time_limit_s": args.seconds, "workers": 2},
        "shifts": {"start_step_min": args.start_step},
    }
    if args.flexible:
        overrides["shifts"]["lengths_min"] = [510, 450, 390, 330, 270]
    rules = SC.merged_rules(overrides)
    print(
        f"requirements: 7 days x {PER_DAY} intervals, peak {max(req)} agents, {sum(req)} agent-intervals; "
        f"shift starts every {args.start_step} min"
    )
    t0 = time.perf_counter()
    res = SC.solve({"": req}, datetime(2026, 3, 2), 15, overrides)
    ours_s = time.perf_counter() - t0
    ours = res.within_share(0.05)
    summary = res.summary()
    try:
        pwf_got, pwf_s, pwf_status = pyworkforce_run(req, rules, args.seconds)
        pwf, pwf_misses = within(req, pwf_got), misses(req, pwf_got)
    except ImportError:
        pwf, pwf_s, pwf_status, pwf_misses = float("nan"), float("nan"), "not installed", ""
    print(f"{'':<34}{'within +-5 %':>14}{'seconds':>10}  status")
    print(f"{'hotline (roster, all rules)':<34}{100 * ours:>13.1f}%{ours_s:>10.1f}  {summary['status']}")
    print(f"{'pyworkforce MinAbsDifference':<34}{100 * pwf:>13.1f}%{pwf_s:>10.1f}  {pwf_status}")
    print(
        f"hotline: {summary['agents_used']} agents, {summary['shifts']} shifts, "
        f"under {summary['under_agent_intervals']} / over {summary['over_agent_intervals']} agent-intervals"
    )
    print(f"hotline:     {misses(req, res.scheduled[''])}")
    print(f"pyworkforce: {pwf_misses}")
    print("goal: >= 90 % within +-5 %, <= 60 s on 2 cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
