"""Realistic synthetic contact-centre history for tests, benchmarks and demos (seeded, pure).

One queue's calls per interval = daily volume x intraday share, where the daily volume has
* a yearly growth trend,
* a weekly pattern (Monday busiest, Sunday quietest),
* Chinese public holidays (lower; Spring Festival eve lowest) and make-up workdays (调休, worked like an
  ordinary weekday), a rebound on the first workday after a holiday of 3+ days,
* a month-start billing bump (bills arrive on the 1st-3rd),
* day-to-day log-normal noise,
and each interval is Poisson around its mean.  Opening hours, missing days (unknown, left out of the
rows) and one-off events (an outage day with a call surge) are configurable.  Handle time varies by
hour with noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from hotline.core import holidays_cn

WEEKDAY_FACTOR = (1.18, 1.06, 1.0, 0.99, 0.97, 0.78, 0.72)


@dataclass(frozen=True)
class SeriesSpec:
    """Parameters of one synthetic queue."""

    start: date = date(2024, 1, 1)
    days: int = 420
    interval_min: int = 30
    daily_calls: float = 6000.0
    growth_per_year: float = 0.08
    weekday_factor: tuple[float, ...] = WEEKDAY_FACTOR
    holiday_factor: float = 0.62
    spring_festival_eve_factor: float = 0.35
    post_holiday_factor: float = 1.35
    month_start_factor: float = 1.08
    day_noise: float = 0.06
    open_from_min: int = 0  # 0 and 1440: 24 x 7
    open_to_min: int = 1440
    missing_day_rate: float = 0.01
    outage_days: tuple[date, ...] = field(default_factory=tuple)
    outage_factor: float = 2.2
    aht_s: float = 260.0


def _intraday(spec: SeriesSpec, weekend: bool) -> np.ndarray:
    slots = 1440 // spec.interval_min
    h = (np.arange(slots) + 0.5) * spec.interval_min / 60.0
    peak1, peak2 = (10.5, 16.0) if weekend else (10.0, 15.0)
    shape = 0.04 + np.exp(-((h - peak1) ** 2) / 4.5) + 0.85 * np.exp(-((h - peak2) ** 2) / 6.0)
    shape += 0.35 * np.exp(-((h - 20.5) ** 2) / 2.0)  # evening shoulder
    minute = np.arange(slots) * spec.interval_min
    shape = np.where((minute >= spec.open_from_min) & (minute < spec.open_to_min), shape, 0.0)
    return shape / shape.sum()


def day_factor(spec: SeriesSpec, day: date) -> float:
    """Deterministic part of the daily volume relative to `daily_calls` (no noise)."""
    years = (day - spec.start).days / 365.25
    f = (1.0 + spec.growth_per_year) ** years
    if day in holidays_cn.HOLIDAYS:
        eve = (
            holidays_cn.HOLIDAYS[day] == "春节"
            and (day + timedelta(days=1)) in holidays_cn.HOLIDAYS
            and (day - timedelta(days=1)) not in holidays_cn.HOLIDAYS
        )
        return f * (spec.spring_festival_eve_factor if eve else spec.holiday_factor) * spec.weekday_factor[6]
    wd = day.weekday()
    f *= np.mean(spec.weekday_factor[:5]) if day in holidays_cn.MAKEUP_WORKDAYS else spec.weekday_factor[wd]
    prev, run = day - timedelta(days=1), 0
    while prev in holidays_cn.HOLIDAYS:
        run += 1
        prev -= timedelta(days=1)
    if run >= 3:
        f *= spec.post_holiday_factor
    if day.day <= 3:
        f *= spec.month_start_factor
    return float(f)


def generate(spec: SeriesSpec, rng: np.random.Generator) -> list[tuple[datetime, float, float]]:
    """Rows (interval_start, calls, aht_s) for the open, non-missing intervals of the spec."""
    rows: list[tuple[datetime, float, float]] = []
    weekday_shape, weekend_shape = _intraday(spec, False), _intraday(spec, True)
    slots = 1440 // spec.interval_min
    hours = (np.arange(slots) + 0.5) * spec.interval_min / 60.0
    aht_shape = spec.aht_s * (1.0 + 0.12 * np.sin((hours - 9.0) / 24.0 * 2 * np.pi))
    for i in range(spec.days):
        day = spec.start + timedelta(days=i)
        if rng.random() < spec.missing_day_rate:
            continue
        weekendish = (
            day.weekday() >= 5 and day not in holidays_cn.MAKEUP_WORKDAYS or day in holidays_cn.HOLIDAYS
        )
        shape = weekend_shape if weekendish else weekday_shape
        volume = spec.daily_calls * day_factor(spec, day) * float(rng.lognormal(0.0, spec.day_noise))
        if day in spec.outage_days:
            volume *= spec.outage_factor
        calls = rng.poisson(volume * shape)
        aht = aht_shape * rng.lognormal(0.0, 0.05, size=slots)
        base = datetime(day.year, day.month, day.day)
        for s in np.flatnonzero(shape > 0):
            rows.append(
                (
                    base + timedelta(minutes=int(s) * spec.interval_min),
                    float(calls[s]),
                    round(float(aht[s]), 1),
                )
            )
    return rows
