"""Workforce services for the pages: staffing curves, forecast + staffing plan, from the pure wfm engines."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np

from hotline.core.errors import InvalidInput
from hotline.wfm import erlang
from hotline.wfm.forecast import History, forecast, history_from_rows
from hotline.wfm.synthetic import SeriesSpec, generate


@dataclass(frozen=True)
class StaffingQuery:
    calls: float
    interval_s: int
    aht_s: float
    threshold_s: float
    target_sl: float
    patience_s: float | None
    shrinkage: float


def staffing(q: StaffingQuery) -> dict[str, Any]:
    """Minimum agents for the target (Erlang C, or Erlang A with patience) and the SL-by-agents curve."""
    load = erlang.offered_load(q.calls, q.interval_s, q.aht_s)
    try:
        if q.patience_s:
            result = erlang.staff_a(
                load, q.aht_s, q.patience_s, q.target_sl, q.threshold_s, shrinkage=q.shrinkage
            )
        else:
            result = erlang.staff_c(load, q.aht_s, q.target_sl, q.threshold_s, shrinkage=q.shrinkage)
    except ValueError as exc:
        raise InvalidInput(str(exc).split()[0], str(exc)) from None
    low = max(1, min(result.agents - 3, math.floor(load) - 2))
    high = max(result.agents + 6, low + 8)
    ns = list(range(low, high + 1))
    if q.patience_s:
        curve = [erlang.service_level_a(n, load, q.threshold_s, q.aht_s, q.patience_s) for n in ns]
        abandon = [erlang.p_abandon_a(n, load, q.aht_s, q.patience_s) for n in ns]
    else:
        curve = [erlang.service_level_c(n, load, q.threshold_s, q.aht_s) for n in ns]
        abandon = []
    return {"load": load, "result": result, "agents": ns, "sl": curve, "abandon": abandon}


def staffing_chart(data: dict[str, Any], target: float, label: Callable[[str], str] = str) -> dict[str, Any]:
    series = [
        {"name": label("Service level"), "type": "line", "data": [round(v * 100, 2) for v in data["sl"]]},
        {
            "name": label("Target"),
            "type": "line",
            "symbol": "none",
            "lineStyle": {"type": "dashed"},
            "data": [round(target * 100, 2)] * len(data["agents"]),
        },
    ]
    if data["abandon"]:
        series.append(
            {
                "name": label("Abandonment"),
                "type": "line",
                "data": [round(v * 100, 2) for v in data["abandon"]],
            }
        )
    return {
        "type": "line",
        "x": data["agents"],
        "series": series,
        "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
    }


# ------------------------------------------------------------------------------------------- forecasts
DEMO_SPEC = SeriesSpec(days=84, daily_calls=28_000.0, aht_s=240.0)  # a province: 25–35 thousand calls a day


@lru_cache(maxsize=4)
def demo_history(today: date) -> History:
    """Twelve weeks of realistic synthetic history ending yesterday (seeded: the same every day it is asked)."""
    spec = SeriesSpec(**{**DEMO_SPEC.__dict__, "start": today - timedelta(days=DEMO_SPEC.days)})
    rows = generate(spec, np.random.default_rng(20261125))
    return history_from_rows(rows, spec.interval_min, until=today - timedelta(days=1))


def history_from_csv(text: str, interval_min: int = 30) -> History:
    """A history CSV (`interval_start,calls[,aht_s]`, local `YYYY-MM-DD HH:MM`); errors name line and column."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"interval_start", "calls"} <= set(reader.fieldnames):
        raise InvalidInput("file", "The CSV needs the columns interval_start and calls")
    rows: list[tuple[datetime, float, float | None]] = []
    for line, row in enumerate(reader, start=2):
        try:
            ts = datetime.strptime(row["interval_start"].strip(), "%Y-%m-%d %H:%M")
        except ValueError:
            raise InvalidInput("file", f"line {line}, interval_start: expected YYYY-MM-DD HH:MM") from None
        try:
            calls = float(row["calls"])
            aht = float(row["aht_s"]) if row.get("aht_s") not in (None, "") else None
        except ValueError:
            raise InvalidInput("file", f"line {line}: calls and aht_s must be numbers") from None
        rows.append((ts, calls, aht))
    if not rows:
        raise InvalidInput("file", "The CSV has no rows")
    try:
        return history_from_rows(rows, interval_min)
    except ValueError as exc:
        raise InvalidInput("file", str(exc)) from None


def plan(
    hist: History,
    *,
    horizon_days: int,
    target_sl: float,
    threshold_s: float,
    shrinkage: float,
    default_aht_s: float = 240.0,
) -> dict[str, Any]:
    """Forecast the horizon and staff every interval of its first day with Erlang C."""
    try:
        fc = forecast(hist, horizon_days=horizon_days)
    except ValueError as exc:
        raise InvalidInput("history", str(exc)) from None
    slots = hist.slots
    day0 = np.nan_to_num(fc.calls[0])
    aht0 = (
        np.nan_to_num(fc.aht[0], nan=default_aht_s) if fc.aht is not None else np.full(slots, default_aht_s)
    )
    aht0 = np.where(aht0 > 0, aht0, default_aht_s)
    interval_s = fc.interval_min * 60
    table = erlang.staff_c_many(day0 * aht0 / interval_s, aht0, target_sl, threshold_s, shrinkage=shrinkage)
    labels = [f"{(s * fc.interval_min) // 60:02d}:{(s * fc.interval_min) % 60:02d}" for s in range(slots)]
    last_week = np.nan_to_num(hist.calls[-7:]).sum(axis=1)
    daily = np.nan_to_num(fc.calls).sum(axis=1)
    return {
        "method": fc.method,
        "wape": {k: round(v, 4) for k, v in sorted(fc.backtest_wape.items(), key=lambda kv: kv[1])},
        "first_day": fc.first_day,
        "days": [d.isoformat() for d in fc.days],
        "daily": [round(float(v)) for v in daily],
        "calendar_covered": fc.calendar_covered,
        "labels": labels,
        "calls": [round(float(v), 1) for v in day0],
        "lo": [round(float(v), 1) for v in np.nan_to_num(fc.lo[0])],
        "hi": [round(float(v), 1) for v in np.nan_to_num(fc.hi[0])],
        "agents": [int(v) for v in table.agents],
        "scheduled": [int(v) for v in table.scheduled],
        "peak_agents": int(table.agents.max()) if table.agents.size else 0,
        "peak_scheduled": int(table.scheduled.max()) if table.scheduled.size else 0,
        "agent_hours": round(float(table.scheduled.sum()) * fc.interval_min / 60, 1),
        "history_days": [d.isoformat() for d in hist.days[-7:]],
        "history_daily": [round(float(v)) for v in last_week],
    }


def forecast_chart(p: dict[str, Any], label: Callable[[str], str] = str) -> dict[str, Any]:
    """Calls per interval with the prediction band, and agents needed on a second axis."""
    band = [round(h - lo, 1) for lo, h in zip(p["lo"], p["hi"])]
    return {
        "option": {
            "tooltip": {"trigger": "axis", "renderMode": "richText"},
            "legend": {"bottom": 0, "data": [label("80% band"), label("Calls"), label("Agents scheduled")]},
            "grid": {"left": 52, "right": 52, "top": 24, "bottom": 48},
            "xAxis": {"type": "category", "data": p["labels"]},
            "yAxis": [{"type": "value", "name": label("Calls")}, {"type": "value", "name": label("Agents")}],
            "series": [
                {
                    "name": "lo",
                    "type": "line",
                    "stack": "band",
                    "data": p["lo"],
                    "lineStyle": {"opacity": 0},
                    "symbol": "none",
                },
                {
                    "name": label("80% band"),
                    "type": "line",
                    "stack": "band",
                    "data": band,
                    "lineStyle": {"opacity": 0},
                    "areaStyle": {"opacity": 0.2},
                    "symbol": "none",
                },
                {"name": label("Calls"), "type": "line", "data": p["calls"], "symbol": "none"},
                {
                    "name": label("Agents scheduled"),
                    "type": "bar",
                    "yAxisIndex": 1,
                    "data": p["scheduled"],
                    "barGap": 0,
                    "itemStyle": {"opacity": 0.45},
                },
            ],
        }
    }


def daily_chart(p: dict[str, Any], label: Callable[[str], str] = str) -> dict[str, Any]:
    return {
        "type": "bar",
        "x": p["history_days"] + p["days"],
        "series": [
            {"name": label("Actual"), "data": p["history_daily"] + [None] * len(p["days"])},
            {"name": label("Forecast"), "data": [None] * len(p["history_days"]) + p["daily"]},
        ],
    }
