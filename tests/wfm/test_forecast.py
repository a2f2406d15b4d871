"""Forecast on synthetic series with known seasonality, holidays, gaps and events; CLI contract."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from hotline.cli import app
from hotline.wfm import forecast as F
from hotline.wfm import synthetic as S

runner = CliRunner()


def _split(hist: F.History, test_days: int) -> tuple[F.History, np.ndarray]:
    n = hist.calls.shape[0] - test_days
    aht = None if hist.aht is None else hist.aht[:n]
    return F.History(hist.first_day, hist.interval_min, hist.calls[:n], aht), hist.calls[n:]


def _quiet_spec(**kw: object) -> S.SeriesSpec:
    base = {"day_noise": 0.0, "missing_day_rate": 0.0, "growth_per_year": 0.0, "month_start_factor": 1.0}
    base.update(kw)
    return S.SeriesSpec(**base)  # type: ignore[arg-type]


def test_recovers_weekly_and_daily_seasonality() -> None:
    spec = _quiet_spec(
        start=date(2025, 2, 10), days=140, daily_calls=20000.0, open_from_min=480, open_to_min=1320
    )
    hist = F.history_from_rows(S.generate(spec, np.random.default_rng(1)), 30)
    train, test = _split(hist, 14)
    res = F.forecast(train, horizon_days=14, holidays="cn")
    assert res.method.startswith("hotline")
    # daily totals follow the weekly factors (no holidays in this window)
    days = res.days
    assert not any(d in S.holidays_cn.HOLIDAYS for d in days)
    totals = np.nansum(res.calls, axis=1)
    expected = np.array([spec.daily_calls * S.day_factor(spec, d) for d in days])
    assert np.max(np.abs(totals / expected - 1)) < 0.03
    # intraday: closed hours are absent, the 10:00 peak is the busiest slot
    assert np.all(np.isnan(res.calls[:, :16]))  # before 08:00
    assert np.all(np.isnan(res.calls[:, 44:]))  # from 22:00
    for k, d in enumerate(days):  # the intraday shape matches the generator's (weekday or weekend)
        true_shape = S._intraday(spec, weekend=d.weekday() >= 5)
        shape = np.nan_to_num(res.calls[k]) / np.nansum(res.calls[k])
        assert np.abs(shape - true_shape).sum() < 0.03
    assert F.wape(test, res.calls) < 0.05


def test_holidays_lower_the_forecast_and_can_be_switched_off() -> None:
    n_days = (date(2025, 10, 1) - date(2024, 1, 1)).days  # history up to 2025-09-30
    spec = _quiet_spec(start=date(2024, 1, 1), days=n_days, daily_calls=8000.0)
    hist = F.history_from_rows(S.generate(spec, np.random.default_rng(2)), 30)
    cn = F.forecast(hist, horizon_days=10, holidays="cn", method="hotline_level")
    off = F.forecast(hist, horizon_days=10, holidays="none", method="hotline_level")
    assert cn.days[0] == date(2025, 10, 1)
    holiday = [i for i, d in enumerate(cn.days) if d in S.holidays_cn.HOLIDAYS]  # 10-01 .. 10-08
    assert len(holiday) == 8
    ratio_cn = np.nansum(cn.calls[holiday]) / np.nansum(off.calls[holiday])
    assert ratio_cn < 0.85  # the calendar knows the golden week is quiet
    # the make-up workday (Saturday 2025-10-11) is forecast like a workday, not like a Saturday
    sat = cn.days.index(date(2025, 10, 11)) if date(2025, 10, 11) in cn.days else None
    if sat is not None:
        assert np.nansum(cn.calls[sat]) > 1.15 * np.nansum(off.calls[sat])
    # accuracy over the holiday with the calendar beats the same-weekday average without it
    truth_spec = spec.__class__(**{**spec.__dict__, "days": n_days + 10})
    truth = F.history_from_rows(S.generate(truth_spec, np.random.default_rng(2)), 30).calls[n_days:]
    base = F.forecast(hist, horizon_days=10, holidays="none", method="weekday_avg_4w")
    assert F.wape(truth, cn.calls) < 0.6 * F.wape(truth, base.calls)


def test_gaps_are_unknown_not_zero() -> None:
    spec = _quiet_spec(start=date(2025, 3, 3), days=84, daily_calls=5000.0)
    rows = S.generate(spec, np.random.default_rng(3))
    gap = {date(2025, 5, 12), date(2025, 5, 19)}  # two Mondays missing: unknown
    rows = [r for r in rows if r[0].date() not in gap]
    hist = F.history_from_rows(rows, 30)
    assert np.all(np.isnan(hist.calls[(date(2025, 5, 12) - hist.first_day).days]))
    res = F.forecast(hist, horizon_days=7, method="weekday_avg_4w")
    mon = res.days.index(date(2025, 5, 26))
    # the Monday average uses the Mondays that exist, not zeros for the missing ones
    known_mondays = [i for i, d in enumerate(hist.days) if d.weekday() == 0 and d not in gap][-4:]
    assert np.nansum(res.calls[mon]) == pytest.approx(
        np.nansum(np.nanmean(hist.calls[known_mondays], axis=0))
    )


def test_events_are_left_out_of_training_and_scale_the_future() -> None:
    spec = _quiet_spec(start=date(2025, 3, 3), days=98, daily_calls=5000.0, outage_days=(date(2025, 5, 26),))
    hist = F.history_from_rows(S.generate(spec, np.random.default_rng(4)), 30)
    outage = F.Event(datetime(2025, 5, 26), datetime(2025, 5, 27))
    plain = F.forecast(hist, horizon_days=7, method="weekday_avg_4w")
    marked = F.forecast(hist, horizon_days=7, method="weekday_avg_4w", events=[outage])
    mon = plain.days.index(date(2025, 6, 9))
    assert np.nansum(plain.calls[mon]) > 1.2 * np.nansum(marked.calls[mon])
    campaign = F.Event(datetime(2025, 6, 10, 9), datetime(2025, 6, 10, 12), factor=1.5)
    boosted = F.forecast(hist, horizon_days=7, method="weekday_avg_4w", events=[outage, campaign])
    tue = boosted.days.index(date(2025, 6, 10))
    assert boosted.calls[tue, 18] == pytest.approx(1.5 * marked.calls[tue, 18])
    assert boosted.calls[tue, 30] == pytest.approx(marked.calls[tue, 30])


def test_prediction_intervals_cover_about_their_level() -> None:
    spec = S.SeriesSpec(start=date(2024, 9, 2), days=300, daily_calls=6000.0)
    hist = F.history_from_rows(S.generate(spec, np.random.default_rng(5)), 30)
    train, test = _split(hist, 28)
    res = F.forecast(train, horizon_days=28, level=0.8)
    known = ~np.isnan(test) & ~np.isnan(res.calls)
    inside = (test[known] >= res.lo[known]) & (test[known] <= res.hi[known])
    assert 0.6 <= inside.mean() <= 0.95
    assert np.all(res.lo[known] <= res.calls[known]) and np.all(res.calls[known] <= res.hi[known])


def test_backtest_always_includes_the_baselines() -> None:
    spec = S.SeriesSpec(start=date(2025, 1, 6), days=120)
    res = F.forecast(F.history_from_rows(S.generate(spec, np.random.default_rng(6)), 30), horizon_days=14)
    assert {"seasonal_naive", "weekday_avg_4w"} <= res.backtest_wape.keys()
    assert res.method == min(res.backtest_wape, key=res.backtest_wape.get)  # type: ignore[arg-type]


def test_history_is_aggregated_to_coarser_intervals() -> None:
    t0 = datetime(2025, 1, 6, 9, 0)
    rows = [(t0, 3.0, 100.0), (t0 + timedelta(minutes=15), 5.0, 200.0)]
    hist = F.history_from_rows(rows, 30)
    assert hist.calls[0, 18] == 8.0
    assert hist.aht is not None and hist.aht[0, 18] == pytest.approx((3 * 100 + 5 * 200) / 8)
    assert np.isnan(hist.calls[0, 17])


# ------------------------------------------------------------------------------------------- CLI


def _write_history(path, with_queue: bool = True) -> list[tuple[datetime, float, float]]:  # type: ignore[no-untyped-def]
    rows = S.generate(
        S.SeriesSpec(start=date(2025, 1, 6), days=70, open_from_min=480, open_to_min=1200),
        np.random.default_rng(7),
    )
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["interval_start", "calls", "aht_s"] + (["queue"] if with_queue else []))
        for ts, c, a in rows:
            w.writerow([ts.strftime("%Y-%m-%d %H:%M"), int(c), a] + (["10000"] if with_queue else []))
    return rows


def test_forecast_cli_contract(tmp_path) -> None:  # type: ignore[no-untyped-def]
    hist, out = tmp_path / "h.csv", tmp_path / "f.csv"
    rows = _write_history(hist)
    result = runner.invoke(
        app,
        [
            "wfm",
            "forecast",
            "--history",
            str(hist),
            "--horizon-days",
            "7",
            "--interval-min",
            "30",
            "--holidays",
            "cn",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["queues"]["10000"]["method"] in F.CANDIDATES
    with out.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["interval_start", "calls", "queue", "aht_s", "lo", "hi"]
        got = list(reader)
    # every interval of the horizon within the opening hours seen in the history (08:00-20:00)
    last = max(r[0] for r in rows).date()
    open_slots = sorted({r[0].strftime("%H:%M") for r in rows})
    expected = [f"{last + timedelta(days=k + 1):%Y-%m-%d} {hm}" for k in range(7) for hm in open_slots]
    assert [r["interval_start"] for r in got] == expected
    assert all(float(r["lo"]) <= float(r["calls"]) <= float(r["hi"]) for r in got)
    assert all(float(r["aht_s"]) > 0 for r in got)


def test_forecast_cli_minimal_columns_and_no_holidays(tmp_path) -> None:  # type: ignore[no-untyped-def]
    hist, out = tmp_path / "h.csv", tmp_path / "f.csv"
    hist.write_text(
        "interval_start,calls\n" + "".join(f"2025-01-{d:02d} 09:00,{10 + d}\n" for d in range(1, 29)),
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "wfm",
            "forecast",
            "--history",
            str(hist),
            "--horizon-days",
            "2",
            "--holidays",
            "none",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "interval_start,calls,lo,hi"
    assert [line.split(",")[0] for line in lines[1:]] == ["2025-01-29 09:00", "2025-01-30 09:00"]


@pytest.mark.parametrize(
    ("content", "args", "option"),
    [
        ("interval_start,calls\n2025-01-06 09:00,-1\n", [], "--history"),
        ("interval_start,calls\n2025-01-06 9am,1\n", [], "--history"),
        ("when,calls\n2025-01-06 09:00,1\n", [], "--history"),
        ("interval_start,calls\n2025-01-06 09:15,1\n", [], "--history"),
        ("interval_start,calls\n2025-01-06 09:00,1\n", ["--interval-min", "7"], "--interval-min"),
        ("interval_start,calls\n2025-01-06 09:00,1\n", ["--holidays", "us"], "--holidays"),
    ],
)
def test_forecast_cli_bad_input(tmp_path, content: str, args: list[str], option: str) -> None:  # type: ignore[no-untyped-def]
    hist = tmp_path / "h.csv"
    hist.write_text(content, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "wfm",
            "forecast",
            "--history",
            str(hist),
            "--horizon-days",
            "2",
            "--out",
            str(tmp_path / "o.csv"),
            *args,
        ],
    )
    assert result.exit_code == 2
    assert option in result.output
    assert "Traceback" not in result.output
