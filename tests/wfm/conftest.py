"""Shared fixtures for the wfm tests: an independent schedule feasibility checker."""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest


def _hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def check_schedule(
    schedule_csv: Path,
    coverage_csv: Path,
    requirements: dict[str, list[int]],
    start: datetime,
    interval_min: int,
    rules: dict[str, Any],
    agents: dict[str, dict[str, Any]] | None = None,
) -> list[str]:
    """Every rule, re-checked from the output files alone (no solver code): returns the violations."""
    errors: list[str] = []
    fmt = "%Y-%m-%d %H:%M"
    shifts: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    breaks: dict[tuple[str, datetime], list[tuple[str, datetime, datetime]]] = defaultdict(list)
    with schedule_csv.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        s, e = datetime.strptime(r["start"], fmt), datetime.strptime(r["end"], fmt)
        if r["date"] != s.strftime("%Y-%m-%d") and r["activity"] == "shift":
            errors.append(f"{r['agent_id']}: shift date {r['date']} is not its start date")
        if r["activity"] == "shift":
            shifts[r["agent_id"]].append((s, e, r.get("queue", "")))
    for r in rows:
        if r["activity"] in ("meal", "break"):
            s, e = datetime.strptime(r["start"], fmt), datetime.strptime(r["end"], fmt)
            owner = [sh for sh in shifts[r["agent_id"]] if sh[0] <= s and e <= sh[1]]
            if len(owner) != 1:
                errors.append(
                    f"{r['agent_id']}: {r['activity']} {r['start']} is not inside exactly one shift"
                )
                continue
            breaks[r["agent_id"], owner[0][0]].append((r["activity"], s, e))
    lengths = set(rules["shifts"]["lengths_min"])
    first, last, step = (
        _hm(rules["shifts"]["earliest_start"]),
        _hm(rules["shifts"]["latest_start"]),
        rules["shifts"]["start_step_min"],
    )
    meal, rest, week, night = rules["meal"], rules["rests"], rules["week"], rules["night"]
    ns, ne = _hm(night["start"]), _hm(night["end"])
    for agent, lst in shifts.items():
        lst.sort()
        days = [s.date() for s, _e, _q in lst]
        if len(days) != len(set(days)):
            errors.append(f"{agent}: more than one shift on a day")
        if len(lst) > week["max_days"]:
            errors.append(f"{agent}: {len(lst)} working days > {week['max_days']}")
        paid = 0
        nights = 0
        for s, e, q in lst:
            length = int((e - s).total_seconds() // 60)
            m0 = s.hour * 60 + s.minute
            if length not in lengths:
                errors.append(f"{agent}: shift length {length} not a template")
            if not (first <= m0 <= last and (m0 - first) % step == 0):
                errors.append(f"{agent}: start {s:%H:%M} not an allowed start")
            brs = breaks.get((agent, s), [])
            meals = [b for b in brs if b[0] == "meal"]
            rests = [b for b in brs if b[0] == "break"]
            needs_meal = length >= meal["min_shift_min"]
            if len(meals) != (1 if needs_meal else 0):
                errors.append(f"{agent}: shift {s:%m-%d %H:%M} has {len(meals)} meals")
            for _n, bs, be in meals:
                off = (bs - s).total_seconds() / 60
                if not meal["earliest_after_min"] <= off <= meal["latest_after_min"]:
                    errors.append(f"{agent}: meal at +{off:.0f} min outside its window")
                if (be - bs).total_seconds() / 60 != meal["duration_min"]:
                    errors.append(f"{agent}: meal length wrong")
            if len(rests) != (2 if needs_meal else 1) or any(
                (be - bs).total_seconds() / 60 != rest["duration_min"] for _n, bs, be in rests
            ):
                errors.append(f"{agent}: shift {s:%m-%d %H:%M} has wrong rests {rests}")
            spans = sorted((bs, be) for _n, bs, be in brs)
            if any(a[1] > b[0] for a, b in itertools.pairwise(spans)):
                errors.append(f"{agent}: overlapping breaks")
            paid += length - (meal["duration_min"] if needs_meal and not meal["paid"] else 0)
            if any(
                (ns <= (m % 1440) or (m % 1440) < ne) if ns > ne else ns <= (m % 1440) < ne
                for m in range(m0, m0 + length)
            ):
                nights += 1
            if agents and agent in agents:
                spec = agents[agent]
                if s.strftime("%Y-%m-%d") in spec.get("unavailable", []):
                    errors.append(f"{agent}: works on an unavailable day {s:%Y-%m-%d}")
                if q and "queues" in spec and q not in spec["queues"]:
                    errors.append(f"{agent}: works queue {q} without the skill")
        if paid > week["max_paid_minutes"]:
            errors.append(f"{agent}: {paid} paid minutes > {week['max_paid_minutes']}")
        if nights > night["max_shifts_per_week"]:
            errors.append(f"{agent}: {nights} night shifts > {night['max_shifts_per_week']}")
        for (_s1, e1, _q1), (s2, _e2, _q2) in itertools.pairwise(lst):
            if (s2 - e1).total_seconds() / 60 < week["min_rest_between_shifts_min"]:
                errors.append(f"{agent}: only {(s2 - e1)} rest before {s2:%m-%d %H:%M}")
    # coverage.csv: recomputed from the schedule; required from the requirements
    on_phone: dict[tuple[str, datetime], int] = defaultdict(int)
    for agent, lst in shifts.items():
        for s, e, q in lst:
            t = s  # an agent counts in an interval when on the phone for all of it
            step = timedelta(minutes=interval_min)
            while t + step <= e:
                if not any(bs < t + step and t < be for _n, bs, be in breaks.get((agent, s), [])):
                    on_phone[q, t] += 1
                t += step
    with coverage_csv.open(encoding="utf-8") as fh:
        cov_rows = list(csv.DictReader(fh))
    n_int = len(next(iter(requirements.values())))
    if len(cov_rows) != n_int * len(requirements):
        errors.append(f"coverage.csv has {len(cov_rows)} rows, expected {n_int * len(requirements)}")
    for r in cov_rows:
        t = datetime.strptime(r["interval_start"], fmt)
        q = r.get("queue", "")
        g = int((t - start).total_seconds() // 60) // interval_min
        if int(r["required"]) != requirements[q][g]:
            errors.append(f"coverage.csv required wrong at {r['interval_start']}")
        if int(r["scheduled"]) != on_phone.get((q, t), 0):
            errors.append(
                f"coverage.csv scheduled {r['scheduled']} != {on_phone.get((q, t), 0)} at {r['interval_start']}"
            )
    return errors


@pytest.fixture
def schedule_checker() -> Callable[..., list[str]]:
    return check_schedule
