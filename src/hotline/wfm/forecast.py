"""Call-volume and handle-time forecast per queue and interval, chosen by rolling backtest.  Pure numpy.

History is a (days x slots-per-day) matrix; NaN means *unknown* (closed hours, missing days, marked
events), never zero.  Candidates, all always evaluated by rolling-origin backtest (WAPE):

* ``seasonal_naive``   -- the same slot on the latest same weekday with data;
* ``weekday_avg_4w``   -- the mean of the same slot over the last 4 same weekdays with data;
* ``hotline_level`` / ``hotline_trend`` -- daily totals from a weighted, outlier-robust log-linear
  regression on weekday, Chinese public holidays (法定节假日), make-up workdays (调休上班), the first
  workday after a long holiday, and (``_trend``) a linear trend; split into intervals by the recent
  intraday profile of the day's class.

The best candidate by backtest WAPE is used.  Prediction intervals come from the chosen method's
backtest errors (variance = phi1 f + phi2 f^2, fitted to the squared errors, with the empirical
quantiles of the standardised errors).  Definitions in docs/reference/wfm.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from scipy.optimize import nnls

from hotline.core import holidays_cn

__all__ = [
    "CANDIDATES",
    "Calendar",
    "Event",
    "ForecastResult",
    "History",
    "forecast",
    "history_from_rows",
    "wape",
]

WORKDAY_MIX = np.array([0.2] * 5 + [0.0, 0.0])  # a make-up workday looks like an average Mon-Fri


# --------------------------------------------------------------------------------------------------
# data


@dataclass(frozen=True)
class Event:
    """A marked period (campaign, outage): excluded from training; `factor` scales a future one."""

    start: datetime
    end: datetime
    factor: float | None = None


@dataclass
class History:
    """One queue's history on a regular grid: calls[d, s] for day first_day + d and slot s (NaN = unknown)."""

    first_day: date
    interval_min: int
    calls: np.ndarray
    aht: np.ndarray | None = None

    @property
    def slots(self) -> int:
        return 1440 // self.interval_min

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.calls.shape[0])]

    def slot_start(self, day: date, slot: int) -> datetime:
        return datetime(day.year, day.month, day.day) + timedelta(minutes=slot * self.interval_min)


def history_from_rows(
    rows: Sequence[tuple[datetime, float, float | None]], interval_min: int, *, until: date | None = None
) -> History:
    """Put (interval_start, calls, aht_s|None) rows on the grid, summing finer intervals into coarser ones;
    days up to `until` without rows are unknown."""
    if interval_min <= 0 or 1440 % interval_min:
        raise ValueError(f"interval_min must divide a day (1440 minutes), got {interval_min}")
    if not rows:
        raise ValueError("history is empty")
    first = min(r[0] for r in rows).date()
    last = max(max(r[0] for r in rows).date(), until or first)
    n_days, slots = (last - first).days + 1, 1440 // interval_min
    calls = np.zeros((n_days, slots))
    seen = np.zeros((n_days, slots), dtype=bool)
    handle = np.zeros((n_days, slots))
    handle_calls = np.zeros((n_days, slots))
    has_aht = False
    for ts, c, aht in rows:
        if not (math.isfinite(c) and c >= 0):
            raise ValueError(f"calls must be a number >= 0 at {ts:%Y-%m-%d %H:%M}, got {c!r}")
        d = (ts.date() - first).days
        s = (ts.hour * 60 + ts.minute) // interval_min
        calls[d, s] += c
        seen[d, s] = True
        if aht is not None and math.isfinite(aht):
            if aht < 0:
                raise ValueError(f"aht_s must be >= 0 at {ts:%Y-%m-%d %H:%M}, got {aht!r}")
            has_aht = True
            handle[d, s] += aht * c
            handle_calls[d, s] += c
    calls[~seen] = np.nan
    aht_m = None
    if has_aht:
        with np.errstate(invalid="ignore", divide="ignore"):
            aht_m = np.where(handle_calls > 0, handle / handle_calls, np.nan)
    return History(first_day=first, interval_min=interval_min, calls=calls, aht=aht_m)


# --------------------------------------------------------------------------------------------------
# calendar


@dataclass(frozen=True)
class Calendar:
    """Day classes.  With `cn`, public holidays are Sunday-like days with their own level, make-up
    workdays are average workdays, and the first workday after a holiday of 3+ days is flagged."""

    cn: bool = True

    def weekday_mix(self, day: date) -> np.ndarray:
        if self.cn and day in holidays_cn.MAKEUP_WORKDAYS:
            return WORKDAY_MIX
        mix = np.zeros(7)
        mix[6 if self.is_holiday(day) else day.weekday()] = 1.0
        return mix

    def is_holiday(self, day: date) -> bool:
        return self.cn and day in holidays_cn.HOLIDAYS

    def is_post_holiday(self, day: date) -> bool:
        if not self.cn or self.is_holiday(day) or not holidays_cn.is_workday(day):
            return False
        run, d = 0, day - timedelta(days=1)
        while d in holidays_cn.HOLIDAYS:
            run += 1
            d -= timedelta(days=1)
        return run >= 3

    def features(self, day: date) -> np.ndarray:
        """[weekday mix (7), holiday, post-holiday]."""
        return np.concatenate(
            [self.weekday_mix(day), [float(self.is_holiday(day)), float(self.is_post_holiday(day))]]
        )

    def covers(self, day: date) -> bool:
        return not self.cn or holidays_cn.FIRST_YEAR <= day.year <= holidays_cn.LAST_YEAR


def _class_weights(cal: Calendar, days: Sequence[date]) -> np.ndarray:
    return np.array([cal.weekday_mix(d) for d in days])


# --------------------------------------------------------------------------------------------------
# methods: (train matrix, train days, forecast days, calendar) -> forecast matrix


Method = Callable[[np.ndarray, list[date], list[date], Calendar], np.ndarray]


def _same_weekday_rows(days: Sequence[date], weekday: int) -> np.ndarray:
    return np.array([i for i, d in enumerate(days) if d.weekday() == weekday], dtype=int)


def seasonal_naive(y: np.ndarray, days: list[date], fdays: list[date], cal: Calendar) -> np.ndarray:
    """Each slot = the same slot on the latest same weekday that has a value."""
    out = np.full((len(fdays), y.shape[1]), np.nan)
    for wd in range(7):
        rows = _same_weekday_rows(days, wd)
        if rows.size == 0:
            continue
        last = np.full(y.shape[1], np.nan)
        for r in rows:  # forward fill along this weekday's days
            v = y[r]
            last = np.where(np.isnan(v), last, v)
        for k, d in enumerate(fdays):
            if d.weekday() == wd:
                out[k] = last
    return out


def weekday_avg_4w(y: np.ndarray, days: list[date], fdays: list[date], cal: Calendar) -> np.ndarray:
    """Each slot = mean of the same slot over the last 4 same weekdays with data (NaN ignored)."""
    out = np.full((len(fdays), y.shape[1]), np.nan)
    for wd in range(7):
        rows = [r for r in _same_weekday_rows(days, wd) if not np.all(np.isnan(y[r]))][-4:]
        if not rows:
            continue
        with np.errstate(all="ignore"), _quiet():
            mean = np.nanmean(y[rows], axis=0)
        for k, d in enumerate(fdays):
            if d.weekday() == wd:
                out[k] = mean
    return out


class _quiet:
    """Silence numpy's 'mean of empty slice' warnings inside a block."""

    def __enter__(self) -> None:
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)


def _open_masks(y: np.ndarray, days: Sequence[date]) -> np.ndarray:
    """open[w, s]: slot s was ever observed on weekday w."""
    masks = np.zeros((7, y.shape[1]), dtype=bool)
    seen = ~np.isnan(y)
    for wd in range(7):
        rows = _same_weekday_rows(days, wd)
        if rows.size:
            masks[wd] = seen[rows].any(axis=0)
    return masks


def _daily_totals(y: np.ndarray, days: Sequence[date], masks: np.ndarray) -> np.ndarray:
    """Day totals where at least 95 % of the weekday's open slots are known, else NaN."""
    totals = np.full(len(days), np.nan)
    for i, d in enumerate(days):
        m = masks[d.weekday()]
        n_open = int(m.sum())
        if n_open == 0:
            continue
        known = ~np.isnan(y[i]) & m
        if known.sum() >= 0.95 * n_open:
            totals[i] = float(np.nansum(y[i][m])) * n_open / known.sum()
    return totals


def _profiles(
    y: np.ndarray, days: Sequence[date], totals: np.ndarray, cal: Calendar, masks: np.ndarray
) -> np.ndarray:
    """Intraday shares per weekday (from the last 8 complete non-holiday days), shape (7, slots)."""
    prof = np.zeros((7, y.shape[1]))
    for wd in range(7):
        rows = [
            i
            for i, d in enumerate(days)
            if d.weekday() == wd and totals[i] > 0 and not cal.is_holiday(d) and cal.weekday_mix(d)[wd] == 1
        ][-8:]
        if not rows:
            continue
        with np.errstate(all="ignore"), _quiet():
            shares = np.nanmean(y[rows] / totals[rows, None], axis=0)
        shares = np.where(masks[wd] & np.isfinite(shares), shares, 0.0)
        if shares.sum() > 0:
            prof[wd] = shares / shares.sum()
    return prof


def _fit_daily(
    totals: np.ndarray, days: Sequence[date], cal: Calendar, trend: bool
) -> Callable[[Sequence[date]], np.ndarray]:
    """Weighted, outlier-robust log-linear model of daily totals; returns a predictor for new days."""
    ok = np.isfinite(totals) & (totals > 0)
    if ok.sum() < 3:
        raise ValueError("too little history for the daily model")
    t_last = len(days) - 1
    feats = np.array([cal.features(d) for d in days])

    def design(f: np.ndarray, t: np.ndarray, keep: np.ndarray) -> np.ndarray:
        cols = [np.ones(len(f))]
        if trend:
            cols.append((t - t_last) / 7.0)
        cols.extend(f[:, j] for j in range(f.shape[1]) if keep[j])
        return np.column_stack(cols)

    idx = np.flatnonzero(ok)
    f_ok = feats[idx]
    # a column is kept when it varies in the data; weekday columns are collinear with the intercept,
    # so the most frequent weekday is the baseline and dropped
    keep = f_ok.any(axis=0)
    base_wd = int(np.argmax(f_ok[:, :7].sum(axis=0)))
    keep[base_wd] = False
    x = design(f_ok, idx.astype(float), keep)
    ylog = np.log(totals[idx])
    age_weeks = (t_last - idx) / 7.0
    w = 0.5 ** (age_weeks / 12.0)  # 12-week half-life
    beta = np.zeros(x.shape[1])
    for _ in range(2):  # second pass drops outliers (unmarked outages, one-off spikes)
        sw = np.sqrt(w)
        beta = np.linalg.lstsq(x * sw[:, None], ylog * sw, rcond=None)[0]
        resid = ylog - x @ beta
        mad = float(np.median(np.abs(resid - np.median(resid)))) * 1.4826
        if mad <= 0:
            break
        w = np.where(np.abs(resid) > 3.5 * mad, 0.0, w)
    resid = ylog - x @ beta
    smear = float(np.sum(w * np.exp(resid)) / np.sum(w)) if np.sum(w) > 0 else 1.0

    def predict(fdays: Sequence[date]) -> np.ndarray:
        ff = np.array([cal.features(d) for d in fdays])
        tt = np.array([(d - days[0]).days for d in fdays], dtype=float)
        return np.exp(design(ff, tt, keep) @ beta) * smear

    return predict


def _hotline(trend: bool) -> Method:
    def method(y: np.ndarray, days: list[date], fdays: list[date], cal: Calendar) -> np.ndarray:
        masks = _open_masks(y, days)
        totals = _daily_totals(y, days, masks)
        predict = _fit_daily(totals, days, cal, trend)
        prof = _profiles(y, days, totals, cal, masks)
        mix = _class_weights(cal, fdays)  # (H, 7)
        shape = mix @ prof
        sums = shape.sum(axis=1, keepdims=True)
        shape = np.divide(shape, sums, out=np.zeros_like(shape), where=sums > 0)
        return predict(fdays)[:, None] * shape

    method.__name__ = "hotline_trend" if trend else "hotline_level"
    return method


CANDIDATES: dict[str, Method] = {
    "weekday_avg_4w": weekday_avg_4w,
    "seasonal_naive": seasonal_naive,
    "hotline_level": _hotline(False),
    "hotline_trend": _hotline(True),
}
BASELINES = ("weekday_avg_4w", "seasonal_naive")


# --------------------------------------------------------------------------------------------------
# evaluation and selection


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Weighted absolute percentage error = sum |actual - predicted| / sum actual over known actuals
    (a missing prediction counts as 0)."""
    known = ~np.isnan(actual)
    a = actual[known]
    p = np.nan_to_num(predicted[known], nan=0.0)
    total = float(a.sum())
    return float(np.abs(a - p).sum() / total) if total > 0 else math.nan


def _forecast_days(last: date, horizon: int) -> list[date]:
    return [last + timedelta(days=k + 1) for k in range(horizon)]


def _backtest(
    y: np.ndarray, days: list[date], cal: Calendar, horizon: int, folds: int, min_train: int
) -> tuple[dict[str, float], dict[str, list[tuple[np.ndarray, np.ndarray]]]]:
    errs: dict[str, list[float]] = {}
    pairs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {name: [] for name in CANDIDATES}
    h = min(horizon, 28)
    for f in range(folds, 0, -1):
        origin = len(days) - f * h
        if origin < min_train:
            continue
        ytr, dtr = y[:origin], days[:origin]
        act = y[origin : origin + h]
        fdays = days[origin : origin + h]
        for name, method in CANDIDATES.items():
            try:
                pred = method(ytr, dtr, fdays, cal)
            except ValueError:
                continue
            pairs[name].append((act, pred))
    for name, pl in pairs.items():
        if pl:
            errs[name] = wape(np.concatenate([a for a, _ in pl]), np.concatenate([p for _, p in pl]))
    return errs, pairs


def _interval_model(
    pairs: list[tuple[np.ndarray, np.ndarray]], level: float
) -> Callable[[np.ndarray], tuple]:
    """Prediction interval from backtest errors: var = phi1 f + phi2 f^2, empirical standardised quantiles."""
    alpha = (1.0 - level) / 2.0
    if pairs:
        a = np.concatenate([p[0].ravel() for p in pairs])
        f = np.concatenate([np.nan_to_num(p[1].ravel(), nan=0.0) for p in pairs])
        ok = ~np.isnan(a)
        a, f = a[ok], f[ok]
    else:
        a = f = np.zeros(0)
    if a.size >= 30:
        fc = np.maximum(f, 0.0)
        phi, _ = nnls(np.column_stack([np.maximum(fc, 1.0), fc**2]), (a - fc) ** 2)
        phi = np.maximum(phi, [1e-6, 0.0])
        sd = np.sqrt(phi[0] * np.maximum(fc, 1.0) + phi[1] * fc**2)
        z = (a - fc) / sd
        q_lo, q_hi = float(np.quantile(z, alpha)), float(np.quantile(z, 1 - alpha))
    else:  # no backtest: Poisson
        from scipy.stats import norm

        phi = np.array([1.0, 0.0])
        q_lo, q_hi = float(norm.ppf(alpha)), float(norm.ppf(1 - alpha))

    def bounds(fc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sd = np.sqrt(phi[0] * np.maximum(fc, 1.0) + phi[1] * fc**2)
        return np.maximum(0.0, fc + q_lo * sd), np.maximum(fc, fc + q_hi * sd)

    return bounds


@dataclass
class ForecastResult:
    """Forecast for the `horizon` days after the history; NaN where the queue is closed."""

    first_day: date
    interval_min: int
    calls: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    aht: np.ndarray | None
    method: str
    backtest_wape: dict[str, float] = field(default_factory=dict)
    calendar_covered: bool = True

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.calls.shape[0])]

    def rows(self) -> list[tuple[datetime, float, float | None, float, float]]:
        """(interval_start, calls, aht_s, lo, hi) for every open interval of the horizon."""
        out = []
        for k, d in enumerate(self.days):
            base = datetime(d.year, d.month, d.day)
            for s in np.flatnonzero(~np.isnan(self.calls[k])):
                aht = None if self.aht is None else float(self.aht[k, s])
                out.append(
                    (
                        base + timedelta(minutes=int(s) * self.interval_min),
                        float(self.calls[k, s]),
                        aht,
                        float(self.lo[k, s]),
                        float(self.hi[k, s]),
                    )
                )
        return out


def _mask_events(
    y: np.ndarray, days: Sequence[date], interval_min: int, events: Sequence[Event]
) -> np.ndarray:
    y = y.copy()
    for d_i, d in enumerate(days):
        base = datetime(d.year, d.month, d.day)
        for s in range(y.shape[1]):
            start = base + timedelta(minutes=s * interval_min)
            if any(ev.start < start + timedelta(minutes=interval_min) and start < ev.end for ev in events):
                y[d_i, s] = np.nan
    return y


def _event_factors(
    fdays: Sequence[date], slots: int, interval_min: int, events: Sequence[Event]
) -> np.ndarray:
    fac = np.ones((len(fdays), slots))
    for ev in events:
        if ev.factor is None:
            continue
        for k, d in enumerate(fdays):
            base = datetime(d.year, d.month, d.day)
            for s in range(slots):
                start = base + timedelta(minutes=s * interval_min)
                if ev.start < start + timedelta(minutes=interval_min) and start < ev.end:
                    fac[k, s] *= ev.factor
    return fac


def _aht_forecast(
    hist: History, fdays: Sequence[date], cal: Calendar, calls_f: np.ndarray
) -> np.ndarray | None:
    """Calls-weighted mean AHT of the same slot on the last 4 same-class days, falling back to the
    queue's overall mean."""
    if hist.aht is None:
        return None
    days = hist.days
    overall = float(
        np.nansum(hist.aht * np.nan_to_num(hist.calls))
        / max(np.nansum(np.where(np.isnan(hist.aht), 0, hist.calls)), 1e-9)
    )
    by_wd = np.full((7, hist.slots), np.nan)
    for wd in range(7):
        rows = [r for r in _same_weekday_rows(days, wd) if not np.all(np.isnan(hist.aht[r]))][-4:]
        if rows:
            c = np.where(np.isnan(hist.aht[rows]), 0.0, np.nan_to_num(hist.calls[rows]))
            with np.errstate(all="ignore"):
                by_wd[wd] = np.nansum(np.nan_to_num(hist.aht[rows]) * c, axis=0) / c.sum(axis=0)
    mix = _class_weights(cal, fdays)
    out = np.full(calls_f.shape, overall)
    for k in range(len(fdays)):
        wds = np.flatnonzero(mix[k])
        with np.errstate(all="ignore"), _quiet():
            v = np.nanmean(by_wd[wds], axis=0)
        out[k] = np.where(np.isfinite(v), v, overall)
    return np.where(np.isnan(calls_f), np.nan, out)


def forecast(
    hist: History,
    *,
    horizon_days: int,
    holidays: str = "cn",
    events: Sequence[Event] = (),
    level: float = 0.8,
    folds: int = 3,
    method: str | None = None,
) -> ForecastResult:
    """Forecast calls (and AHT) for each interval of the `horizon_days` after the history."""
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be >= 1, got {horizon_days}")
    if holidays not in ("cn", "none"):
        raise ValueError(f"holidays must be 'cn' or 'none', got {holidays!r}")
    if not (0 < level < 1):
        raise ValueError(f"level must be strictly between 0 and 1, got {level}")
    if method is not None and method not in CANDIDATES:
        raise ValueError(f"method must be one of {', '.join(CANDIDATES)}, got {method!r}")
    cal = Calendar(cn=holidays == "cn")
    days = hist.days
    y = _mask_events(hist.calls, days, hist.interval_min, events) if events else hist.calls
    fdays = _forecast_days(days[-1], horizon_days)
    errs, pairs = _backtest(y, days, cal, horizon_days, folds, min_train=28)
    if method is None:
        ranked = sorted(errs, key=lambda n: (errs[n], list(CANDIDATES).index(n)))
        method = ranked[0] if ranked else ("weekday_avg_4w" if len(days) >= 7 else "seasonal_naive")
    try:
        pred = CANDIDATES[method](y, days, fdays, cal)
    except ValueError:
        method = "seasonal_naive"
        pred = seasonal_naive(y, days, fdays, cal)
    masks = _open_masks(y, days)
    open_f = np.array([masks[d.weekday()] for d in fdays])
    if cal.cn:  # make-up workdays open like workdays, holidays like Sundays
        for k, d in enumerate(fdays):
            mix = cal.weekday_mix(d)
            open_f[k] = masks[np.flatnonzero(mix)].any(axis=0)
    pred = np.where(open_f, np.nan_to_num(pred, nan=0.0), np.nan)
    if events:
        pred = pred * _event_factors(fdays, hist.slots, hist.interval_min, events)
    lo, hi = _interval_model(pairs.get(method, []), level)(np.nan_to_num(pred))
    lo = np.where(open_f, lo, np.nan)
    hi = np.where(open_f, hi, np.nan)
    return ForecastResult(
        first_day=fdays[0],
        interval_min=hist.interval_min,
        calls=pred,
        lo=lo,
        hi=hi,
        aht=_aht_forecast(hist, fdays, cal, pred),
        method=method,
        backtest_wape=errs,
        calendar_covered=all(cal.covers(d) for d in [*days, *fdays]),
    )
