"""Forecast benchmark: WAPE of the last 4 weeks for hotline, seasonal naive, 4-week same-weekday average
and MSTL, on realistic generated series, in one run.

Run:  .venv/bin/python benchmarks/wfm/forecast_bench.py [--no-mstl]

Series (hotline.wfm.synthetic; 30-minute intervals; documented in docs/reference/wfm.md): growth
8 %/year, weekly pattern (Mon 1.18 ... Sun 0.72), Chinese public holidays at 0.62 of a Sunday (Spring
Festival eve 0.35), make-up workdays (调休) worked like an average weekday, a 1.35x rebound on the
first workday after a holiday of 3+ days, a month-start billing bump (+8 % on the 1st-3rd), day noise
(log-normal 6 %), Poisson intervals, about 1 % of days missing (unknown) and one unmarked outage
surge day in the history.  Each series is cut so that its last 28 days are the test window; the
windows are chosen to include National Day, Spring Festival, Qingming + Labour Day, and two plain
periods without holidays.

Methods, all fitted on the history before the window only:
* hotline          -- hotline.wfm.forecast.forecast (backtest-selected method, CN calendar on);
* seasonal_naive   -- the same slot one week earlier (latest same weekday with data);
* weekday_avg_4w   -- mean of the same slot over the last 4 same weekdays (the anchor of the goal);
* MSTL             -- statsforecast MSTL (seasons 48 and 336 slots, AutoETS trend) on the last 12
                      weeks, closed hours as 0 and missing days filled from the week before
                      (statsforecast is a bench-only extra; skipped with a note if not installed).
Goal: hotline's WAPE at least 15 % lower (relative) than weekday_avg_4w.
No PyPI package we know of ships a public call-centre interval series, so none is included.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from hotline.wfm import forecast as F
from hotline.wfm import synthetic as S

TEST_DAYS = 28


@dataclass(frozen=True)
class Case:
    name: str
    spec: S.SeriesSpec
    test_from: date


CASES = [
    Case(
        "10000 province 24x7, National Day",
        S.SeriesSpec(start=date(2024, 6, 3), daily_calls=20000.0, outage_days=(date(2025, 3, 12),)),
        date(2025, 9, 22),
    ),
    Case(
        "10086 province 08-22, Spring Festival",
        S.SeriesSpec(
            start=date(2024, 9, 2),
            daily_calls=12000.0,
            open_from_min=480,
            open_to_min=1320,
            outage_days=(date(2025, 7, 8),),
        ),
        date(2026, 2, 2),
    ),
    Case(
        "10010 city 08-20, Qingming + Labour Day",
        S.SeriesSpec(
            start=date(2024, 3, 4),
            daily_calls=3000.0,
            open_from_min=480,
            open_to_min=1200,
            outage_days=(date(2024, 11, 19),),
        ),
        date(2025, 4, 14),
    ),
    Case(
        "10000 province 24x7, plain summer",
        S.SeriesSpec(start=date(2024, 5, 6), daily_calls=8000.0, outage_days=(date(2025, 2, 25),)),
        date(2025, 6, 16),
    ),
    Case(
        "English line 08-20, plain autumn",
        S.SeriesSpec(
            start=date(2024, 10, 7),
            daily_calls=1500.0,
            open_from_min=480,
            open_to_min=1200,
            outage_days=(date(2025, 6, 10),),
        ),
        date(2025, 11, 3),
    ),
]


def _series(case: Case, seed: int) -> tuple[F.History, np.ndarray]:
    days = (case.test_from - case.spec.start).days + TEST_DAYS
    spec = S.SeriesSpec(**{**case.spec.__dict__, "days": days})
    hist = F.history_from_rows(S.generate(spec, np.random.default_rng(seed)), spec.interval_min)
    # the generator may drop the very last days as missing: pad to the full span
    n_total = (case.test_from - hist.first_day).days + TEST_DAYS
    calls = np.full((n_total, hist.slots), np.nan)
    calls[: hist.calls.shape[0]] = hist.calls
    n_train = (case.test_from - hist.first_day).days
    train = F.History(hist.first_day, hist.interval_min, calls[:n_train])
    return train, calls[n_train:]


def _mstl(train: F.History) -> np.ndarray | None:
    try:
        import pandas as pd
        from statsforecast import StatsForecast
        from statsforecast.models import MSTL, AutoETS
    except ImportError:
        return None
    weeks = 12
    y = train.calls[-7 * weeks :].copy()
    for d in range(y.shape[0]):  # missing days: the same day a week earlier (or later for the first week)
        if np.all(np.isnan(y[d])):
            y[d] = y[d - 7] if d >= 7 else y[d + 7]
    y = np.nan_to_num(y, nan=0.0)  # closed hours
    start = train.days[-7 * weeks]
    ds = pd.date_range(f"{start:%Y-%m-%d}", periods=y.size, freq="30min")
    df = pd.DataFrame({"unique_id": "q", "ds": ds, "y": y.ravel()})
    model = MSTL(season_length=[train.slots, 7 * train.slots], trend_forecaster=AutoETS(model="ZZN"))
    fc = StatsForecast(models=[model], freq="30min").forecast(df=df, h=TEST_DAYS * train.slots)
    return np.maximum(fc["MSTL"].to_numpy().reshape(TEST_DAYS, train.slots), 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-mstl", action="store_true", help="skip MSTL (statsforecast)")
    args = parser.parse_args(argv)

    names = ["hotline", "seasonal_naive", "weekday_avg_4w", "MSTL"]
    pooled = {n: [0.0, 0.0] for n in names}
    print(f"{'series (test window: 28 days)':<50}" + "".join(f"{n:>16}" for n in names) + f"{'chosen':>16}")
    t_start = time.perf_counter()
    for seed, case in enumerate(CASES):
        train, test = _series(case, seed)
        res = F.forecast(train, horizon_days=TEST_DAYS, holidays="cn")
        preds = {"hotline": res.calls}
        for base in ("seasonal_naive", "weekday_avg_4w"):
            preds[base] = F.forecast(train, horizon_days=TEST_DAYS, method=base).calls
        if not args.no_mstl:
            m = _mstl(train)
            if m is not None:
                preds["MSTL"] = m
        cells = []
        for n in names:
            if n not in preds:
                cells.append(f"{'n/a':>16}")
                continue
            w = F.wape(test, preds[n])
            known = ~np.isnan(test)
            pooled[n][0] += float(np.abs(test[known] - np.nan_to_num(preds[n][known])).sum())
            pooled[n][1] += float(test[known].sum())
            cells.append(f"{w:>16.4f}")
        label = (
            f"{case.name} ({case.test_from:%m-%d}..{case.test_from + timedelta(days=TEST_DAYS - 1):%m-%d})"
        )
        print(f"{label:<50}" + "".join(cells) + f"{res.method:>16}")
    print("-" * (50 + 16 * 5))
    totals = {n: (a / b if b else float("nan")) for n, (a, b) in pooled.items()}
    print(f"{'pooled WAPE':<50}" + "".join(f"{totals[n]:>16.4f}" for n in names))
    gain = 1 - totals["hotline"] / totals["weekday_avg_4w"]
    print(f"\nhotline vs weekday_avg_4w: {100 * gain:.1f} % lower WAPE (goal >= 15 %)")
    if np.isfinite(totals["MSTL"]):
        print(f"hotline vs MSTL: {100 * (1 - totals['hotline'] / totals['MSTL']):.1f} % lower WAPE")
    else:
        print("MSTL skipped (pip install statsforecast, or run without --no-mstl)")
    print(f"run time {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
