"""`hotline wfm ...`: Erlang figures, staffing, recruiting need, forecast and schedules from files."""

from __future__ import annotations

import csv
import itertools
import json
import math
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from hotline.core.i18n import cli_text as _
from hotline.wfm import erlang
from hotline.wfm import forecast as forecast_mod

wfm_app = typer.Typer(
    name="wfm",
    help=_("Workforce management: Erlang staffing, forecasts, schedules, recruiting."),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


class QueueModel(str, Enum):
    c = "c"
    a = "a"


SlConvention = Enum("SlConvention", {c: c for c in erlang.SL_CONVENTIONS_A}, type=str)  # type: ignore[misc]
DEFAULT_SL_CONVENTION = SlConvention("offered")


class HolidayCalendar(str, Enum):
    cn = "cn"
    none = "none"


DEFAULT_HOLIDAYS = HolidayCalendar.cn

Model = Annotated[
    QueueModel,
    typer.Option("--model", help=_("Queue model: c (Erlang C) or a (Erlang A)."), case_sensitive=False),
]
Calls = Annotated[float, typer.Option("--calls", help=_("Calls offered in the interval."))]
IntervalS = Annotated[float, typer.Option("--interval-s", help=_("Interval length in seconds."))]
AhtS = Annotated[float, typer.Option("--aht-s", help=_("Average handle time in seconds."))]
ThresholdS = Annotated[float, typer.Option("--threshold-s", help=_("Service-level threshold in seconds."))]
PatienceS = Annotated[
    float | None, typer.Option("--patience-s", help=_("Mean caller patience in seconds (Erlang A)."))
]
Json = Annotated[bool, typer.Option("--json", help=_("Print JSON."))]


def register(app: typer.Typer) -> None:
    """Add `hotline wfm` to the root app."""
    app.add_typer(wfm_app, name="wfm")


# --------------------------------------------------------------------------------------------------
# input checks: every error names the option and exits with status 2 (click's usage error)


def _bad(option: str, message: str) -> typer.BadParameter:
    return typer.BadParameter(message, param_hint=f"'{option}'")


def _finite(value: float, option: str) -> float:
    if not math.isfinite(value):
        raise _bad(option, _("must be a finite number"))
    return value


def _nonneg(value: float, option: str) -> float:
    if _finite(value, option) < 0:
        raise _bad(option, _("must not be negative"))
    return value


def _positive(value: float, option: str) -> float:
    if _finite(value, option) <= 0:
        raise _bad(option, _("must be greater than 0"))
    return value


def _open_unit(value: float, option: str) -> float:
    if not (0 < _finite(value, option) < 1):
        raise _bad(option, _("must be strictly between 0 and 1"))
    return value


def _check_patience(model: QueueModel, patience_s: float | None) -> float | None:
    if model is QueueModel.a:
        if patience_s is None:
            raise _bad("--patience-s", _("is required with --model a"))
        return _positive(patience_s, "--patience-s")
    if patience_s is not None:
        raise _bad("--patience-s", _("applies only to --model a"))
    return None


def _load(calls: float, interval_s: float, aht_s: float) -> float:
    _nonneg(calls, "--calls")
    _positive(interval_s, "--interval-s")
    _positive(aht_s, "--aht-s")
    return erlang.offered_load(calls, interval_s, aht_s)


def _clean(value: Any) -> Any:
    """JSON has no inf/nan: print null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _emit(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(_clean(data), ensure_ascii=False))
        return
    for key, value in data.items():
        if isinstance(value, float):
            value = f"{value:.6g}"
        typer.echo(f"{key}: {value}")


# --------------------------------------------------------------------------------------------------
# erlang / staff / recruit


@wfm_app.command("erlang", help=_("Service level, waiting and abandonment for a given number of agents."))
def erlang_cmd(
    model: Model,
    calls: Calls,
    interval_s: IntervalS,
    aht_s: AhtS,
    agents: Annotated[int, typer.Option("--agents", help=_("Agents on the phones."))],
    threshold_s: ThresholdS,
    patience_s: PatienceS = None,
    as_json: Json = False,
) -> None:
    load = _load(calls, interval_s, aht_s)
    if agents < 0:
        raise _bad("--agents", _("must not be negative"))
    _nonneg(threshold_s, "--threshold-s")
    patience = _check_patience(model, patience_s)
    if patience is None:
        out: dict[str, Any] = {
            "p_wait": erlang.erlang_c(agents, load),
            "service_level": erlang.service_level_c(agents, load, threshold_s, aht_s),
            "asa_s": erlang.asa_c(agents, load, aht_s),
            "occupancy": erlang.occupancy_c(agents, load),
        }
    else:
        m = erlang.erlang_a(agents, load, threshold_s, aht_s, patience)
        out = {
            "p_wait": m.p_wait,
            "service_level": m.service_level,
            "asa_s": erlang.asa_a(agents, load, aht_s, patience),
            "occupancy": m.occupancy,
            "p_abandon": m.p_abandon,
            "service_level_answered": m.service_level_answered,
            "service_level_excl_short_abandons": m.service_level_excl_short_abandons,
            "service_level_wait": m.service_level_wait,
            "mean_wait_s": m.p_abandon * patience,
        }
    out.update(model=model.value, load_erlangs=load, agents=agents)
    _emit(out, as_json)


@wfm_app.command(
    "staff", help=_("Minimum agents for a service-level target; scheduled agents after shrinkage.")
)
def staff_cmd(
    model: Model,
    calls: Calls,
    interval_s: IntervalS,
    aht_s: AhtS,
    target_sl: Annotated[float, typer.Option("--target-sl", help=_("Service-level target, e.g. 0.8."))],
    threshold_s: ThresholdS,
    patience_s: PatienceS = None,
    max_abandon: Annotated[
        float | None, typer.Option("--max-abandon", help=_("Highest abandonment rate allowed (Erlang A)."))
    ] = None,
    max_occupancy: Annotated[
        float | None, typer.Option("--max-occupancy", help=_("Highest occupancy allowed, e.g. 0.85."))
    ] = None,
    shrinkage: Annotated[float, typer.Option("--shrinkage", help=_("Shrinkage, e.g. 0.3 for 30 %."))] = 0.0,
    sl_convention: Annotated[
        SlConvention,
        typer.Option(
            "--sl-convention",
            help=_("Erlang A service-level convention (default: answered within threshold / offered)."),
        ),
    ] = DEFAULT_SL_CONVENTION,
    as_json: Json = False,
) -> None:
    load = _load(calls, interval_s, aht_s)
    _open_unit(target_sl, "--target-sl")
    _nonneg(threshold_s, "--threshold-s")
    patience = _check_patience(model, patience_s)
    if max_abandon is not None:
        if model is not QueueModel.a:
            raise _bad("--max-abandon", _("applies only to --model a"))
        _open_unit(max_abandon, "--max-abandon")
    if max_occupancy is not None and not (0 < _finite(max_occupancy, "--max-occupancy") <= 1):
        raise _bad("--max-occupancy", _("must be greater than 0 and at most 1"))
    if not (0 <= _finite(shrinkage, "--shrinkage") < 1):
        raise _bad("--shrinkage", _("must be at least 0 and below 1"))
    if patience is None:
        res = erlang.staff_c(
            load, aht_s, target_sl, threshold_s, max_occupancy=max_occupancy, shrinkage=shrinkage
        )
    else:
        res = erlang.staff_a(
            load,
            aht_s,
            patience,
            target_sl,
            threshold_s,
            max_abandon=max_abandon,
            max_occupancy=max_occupancy,
            shrinkage=shrinkage,
            sl_convention=sl_convention.value,
        )
    out = res.as_dict()
    out["load_erlangs"] = out.pop("load")
    if model is QueueModel.a:
        out["sl_convention"] = sl_convention.value
    _emit(out, as_json)


def _floats(text: str, option: str) -> list[float]:
    try:
        values = [float(x) for x in text.replace(";", ",").split(",") if x.strip()]
    except ValueError:
        raise _bad(option, _("must be a comma-separated list of numbers")) from None
    if not values:
        raise _bad(option, _("must list at least one number"))
    return values


def _read_plan(path: Path) -> tuple[list[str], list[float]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise _bad("--plan", str(exc)) from None
    if not rows or "required" not in rows[0]:
        raise _bad("--plan", _("needs a CSV with columns month,required"))
    labels, values = [], []
    for i, row in enumerate(rows, start=2):
        try:
            values.append(float(row["required"]))
        except (TypeError, ValueError):
            raise _bad("--plan", _("line {line}: required is not a number").format(line=i)) from None
        labels.append(row.get("month") or str(len(labels) + 1))
    return labels, values


@wfm_app.command(
    "recruit", help=_("Headcount to hire per month for a staffing plan, with turnover and training.")
)
def recruit_cmd(
    current: Annotated[
        float, typer.Option("--current", help=_("Agents on the payroll now (fully trained)."))
    ],
    required: Annotated[
        str | None,
        typer.Option("--required", help=_("Required productive headcount per month, comma-separated.")),
    ] = None,
    plan: Annotated[
        Path | None, typer.Option("--plan", help=_("CSV file with columns month,required."))
    ] = None,
    turnover: Annotated[float, typer.Option("--turnover", help=_("Monthly turnover, e.g. 0.05."))] = 0.05,
    training_hours: Annotated[
        float, typer.Option("--training-hours", help=_("Pre-job training length in class hours."))
    ] = 315.0,
    hours_per_month: Annotated[
        float, typer.Option("--class-hours-per-month", help=_("Class hours a trainee attends per month."))
    ] = 174.0,
    ramp_up: Annotated[
        str,
        typer.Option("--ramp-up", help=_("Productivity in the first months after training, e.g. 0.5,0.8.")),
    ] = "0.5,0.8",
    as_json: Json = False,
) -> None:
    from hotline.wfm.recruit import recruiting_plan

    if (required is None) == (plan is None):
        raise _bad("--required", _("give exactly one of --required or --plan"))
    if plan is not None:
        labels, values = _read_plan(plan)
    else:
        values = _floats(required or "", "--required")
        labels = [str(i + 1) for i in range(len(values))]
    if any(v < 0 or not math.isfinite(v) for v in values):
        raise _bad("--plan" if plan else "--required", _("must not be negative"))
    _nonneg(current, "--current")
    if not (0 <= _finite(turnover, "--turnover") < 1):
        raise _bad("--turnover", _("must be at least 0 and below 1"))
    _nonneg(training_hours, "--training-hours")
    _positive(hours_per_month, "--class-hours-per-month")
    ramp = [] if ramp_up.strip() in ("", "none") else _floats(ramp_up, "--ramp-up")
    if any(not (0 < r <= 1) for r in ramp):
        raise _bad("--ramp-up", _("values must be greater than 0 and at most 1"))
    result = recruiting_plan(
        required=values,
        current_headcount=current,
        monthly_turnover=turnover,
        training_hours=training_hours,
        class_hours_per_month=hours_per_month,
        ramp_up=ramp,
        labels=labels,
    )
    if as_json:
        _emit(result.as_dict(), True)
        return
    typer.echo(f"training_months: {result.training_months}  total_hires: {result.total_hires}")
    typer.echo("month,required,hires,headcount,in_training,effective_fte,leavers,gap")
    for m in result.months:
        typer.echo(
            f"{m.label},{m.required:g},{m.hires},{m.headcount:.1f},{m.in_training:.1f},"
            f"{m.effective_fte:.1f},{m.leavers:.1f},{m.gap:.1f}"
        )


# --------------------------------------------------------------------------------------------------
# forecast


def _parse_local(text: str, option: str, line: int) -> datetime:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise _bad(
            option, _("line {line}: expected YYYY-MM-DD HH:MM, got {value!r}").format(line=line, value=text)
        ) from None


def _read_history(path: Path, interval_min: int) -> dict[str, list[tuple[datetime, float, float | None]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = set(reader.fieldnames or [])
            if not {"interval_start", "calls"} <= fields:
                raise _bad("--history", _("needs columns interval_start,calls (optional queue, aht_s)"))
            by_queue: dict[str, list[tuple[datetime, float, float | None]]] = {}
            for i, row in enumerate(reader, start=2):
                ts = _parse_local(row["interval_start"], "--history", i)
                if (ts.hour * 60 + ts.minute) % interval_min:
                    raise _bad(
                        "--history",
                        _(
                            "line {line}: {ts} is not on the {m}-minute grid; use a --interval-min the history divides"
                        ).format(line=i, ts=row["interval_start"], m=interval_min),
                    )
                try:
                    calls = float(row["calls"])
                    aht = float(row["aht_s"]) if row.get("aht_s") not in (None, "") else None
                except ValueError:
                    raise _bad(
                        "--history", _("line {line}: calls and aht_s must be numbers").format(line=i)
                    ) from None
                if (
                    not math.isfinite(calls)
                    or calls < 0
                    or (aht is not None and (not math.isfinite(aht) or aht < 0))
                ):
                    raise _bad(
                        "--history", _("line {line}: calls and aht_s must not be negative").format(line=i)
                    )
                by_queue.setdefault((row.get("queue") or "").strip(), []).append((ts, calls, aht))
    except OSError as exc:
        raise _bad("--history", str(exc)) from None
    if not by_queue:
        raise _bad("--history", _("has no rows"))
    return by_queue


def _read_events(path: Path) -> list[tuple[str, forecast_mod.Event]]:
    events = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for i, row in enumerate(csv.DictReader(fh), start=2):
                start = _parse_local(row.get("start", ""), "--events", i)
                end = _parse_local(row.get("end", ""), "--events", i)
                factor = row.get("factor")
                try:
                    fac = float(factor) if factor not in (None, "") else None
                except ValueError:
                    raise _bad("--events", _("line {line}: factor must be a number").format(line=i)) from None
                events.append(((row.get("queue") or "").strip(), forecast_mod.Event(start, end, fac)))
    except OSError as exc:
        raise _bad("--events", str(exc)) from None
    return events


@wfm_app.command("forecast", help=_("Forecast calls (and handle time) per interval from a history CSV."))
def forecast_cmd(
    history: Annotated[Path, typer.Option("--history", help=_("CSV: interval_start,calls[,queue,aht_s]."))],
    horizon_days: Annotated[
        int, typer.Option("--horizon-days", help=_("Days to forecast after the history."))
    ],
    out: Annotated[Path, typer.Option("--out", help=_("Output CSV file."))],
    interval_min: Annotated[
        int, typer.Option("--interval-min", help=_("Interval length in minutes (15 or 30)."))
    ] = 30,
    holidays: Annotated[
        HolidayCalendar, typer.Option("--holidays", help=_("Public-holiday calendar: cn or none."))
    ] = DEFAULT_HOLIDAYS,
    events: Annotated[
        Path | None, typer.Option("--events", help=_("CSV of marked periods: start,end[,factor,queue]."))
    ] = None,
    level: Annotated[float, typer.Option("--level", help=_("Prediction-interval level, e.g. 0.8."))] = 0.8,
    as_json: Json = False,
) -> None:
    if horizon_days < 1 or horizon_days > 366:
        raise _bad("--horizon-days", _("must be between 1 and 366"))
    if interval_min <= 0 or 1440 % interval_min:
        raise _bad("--interval-min", _("must divide a day, e.g. 15 or 30"))
    _open_unit(level, "--level")
    by_queue = _read_history(history, interval_min)
    marked = _read_events(events) if events else []
    has_queue = any(q for q in by_queue)
    has_aht = any(r[2] is not None for rows in by_queue.values() for r in rows)
    summary: dict[str, Any] = {}
    out_rows: list[list[str]] = []
    last_day = max(r[0] for rows in by_queue.values() for r in rows).date()
    for queue, rows in _progress(sorted(by_queue.items()), as_json):
        try:
            hist = forecast_mod.history_from_rows(rows, interval_min, until=last_day)
            result = forecast_mod.forecast(
                hist,
                horizon_days=horizon_days,
                holidays=holidays.value,
                events=[ev for q, ev in marked if q in ("", queue)],
                level=level,
            )
        except ValueError as exc:
            raise _bad("--history", f"{queue or 'history'}: {exc}") from None
        for ts, calls, aht, lo, hi in result.rows():
            line = [ts.strftime("%Y-%m-%d %H:%M"), f"{calls:.3f}"]
            if has_queue:
                line.append(queue)
            if has_aht:
                line.append("" if aht is None or not math.isfinite(aht) else f"{aht:.1f}")
            out_rows.append([*line, f"{lo:.3f}", f"{hi:.3f}"])
        summary[queue] = {
            "method": result.method,
            "backtest_wape": result.backtest_wape,
            "intervals": int((~np.isnan(result.calls)).sum()),
            "calls": float(np.nansum(result.calls)),
            "calendar_covered": result.calendar_covered,
        }
    header = ["interval_start", "calls"] + (["queue"] if has_queue else []) + (["aht_s"] if has_aht else [])
    try:
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([*header, "lo", "hi"])
            writer.writerows(out_rows)
    except OSError as exc:
        raise _bad("--out", str(exc)) from None
    data = {
        "out": str(out),
        "horizon_days": horizon_days,
        "interval_min": interval_min,
        "holidays": holidays.value,
        "level": level,
        "queues": summary if has_queue else None,
        **({} if has_queue else summary[""]),
    }
    _emit({k: v for k, v in data.items() if v is not None}, as_json)


def _progress(items: list, quiet: bool):  # type: ignore[no-untyped-def, type-arg]
    """A rich progress bar on stderr for multi-queue runs."""
    if quiet or len(items) < 2:
        yield from items
        return
    from rich.console import Console
    from rich.progress import track

    yield from track(items, description=_("Forecasting"), console=Console(stderr=True))


def _timed(fn: Any, budget_s: float, description: str, quiet: bool) -> Any:
    """Run `fn` with a progress bar on stderr that fills against its time budget (the solver's time limit)."""
    if quiet:
        return fn()
    import concurrent.futures
    import time

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with concurrent.futures.ThreadPoolExecutor(1) as pool, Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=Console(stderr=True),
            transient=True) as progress:
        task = progress.add_task(description, total=budget_s)
        future, t0 = pool.submit(fn), time.monotonic()
        while not future.done():
            progress.update(task, completed=min(time.monotonic() - t0, budget_s * 0.99))
            time.sleep(0.2)
        return future.result()


# --------------------------------------------------------------------------------------------------
# schedule


def _read_requirements(path: Path) -> tuple[dict[str, list[int]], datetime, int]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not {"interval_start", "agents"} <= set(reader.fieldnames or []):
                raise _bad("--requirements", _("needs columns interval_start,agents (optional queue)"))
            cells: dict[tuple[str, datetime], int] = {}
            for i, row in enumerate(reader, start=2):
                ts = _parse_local(row["interval_start"], "--requirements", i)
                try:
                    agents = int(float(row["agents"]))
                except ValueError:
                    raise _bad(
                        "--requirements", _("line {line}: agents must be a number").format(line=i)
                    ) from None
                if agents < 0:
                    raise _bad("--requirements", _("line {line}: agents must not be negative").format(line=i))
                cells[(row.get("queue") or "").strip(), ts] = agents
    except OSError as exc:
        raise _bad("--requirements", str(exc)) from None
    if not cells:
        raise _bad("--requirements", _("has no rows"))
    times = sorted({t for _q, t in cells})
    minutes = [t.hour * 60 + t.minute for t in times]
    step = 0
    for m in minutes:
        step = math.gcd(step, m)
    step = math.gcd(step, 1440) or 1440
    for a, b in itertools.pairwise(times):
        step = math.gcd(step, int((b - a).total_seconds() // 60))
    start = datetime(times[0].year, times[0].month, times[0].day)
    end_day = times[-1].date()
    n_int = ((end_day - start.date()).days + 1) * (1440 // step)
    queues = sorted({q for q, _t in cells})
    req = {q: [0] * n_int for q in queues}
    for (q, t), v in cells.items():
        req[q][int((t - start).total_seconds() // 60) // step] = v
    return req, start, step


@wfm_app.command(
    "schedule", help=_("Optimal 24x7 shifts with breaks for a requirements CSV (OR-Tools CP-SAT).")
)
def schedule_cmd(
    requirements: Annotated[
        Path, typer.Option("--requirements", help=_("CSV: interval_start,agents[,queue]."))
    ],
    out: Annotated[
        Path, typer.Option("--out", help=_("Output directory for schedule.csv and coverage.csv."))
    ],
    rules: Annotated[
        Path | None, typer.Option("--rules", help=_("Rules YAML (defaults if omitted)."))
    ] = None,
    as_json: Json = False,
) -> None:
    import yaml

    from hotline.wfm import schedule as schedule_mod

    req, start, step = _read_requirements(requirements)
    overrides: dict[str, Any] = {}
    if rules is not None:
        try:
            overrides = yaml.safe_load(rules.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise _bad("--rules", str(exc)) from None
        if not isinstance(overrides, dict):
            raise _bad("--rules", _("must be a YAML mapping"))
    try:
        budget = float(schedule_mod.merged_rules(overrides)["solver"]["time_limit_s"])
        result = _timed(lambda: schedule_mod.solve(req, start, step, overrides), budget, _("Scheduling"), as_json)
    except ValueError as exc:
        raise _bad("--rules" if rules else "--requirements", str(exc)) from None
    try:
        out.mkdir(parents=True, exist_ok=True)
        multi = len(req) > 1 or "" not in req
        with (out / "schedule.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["agent_id", "date", "activity", "start", "end"] + (["queue"] if multi else []))
            for a in result.activities:
                w.writerow(
                    [
                        a.agent_id,
                        a.day.isoformat(),
                        a.activity,
                        f"{a.start:%Y-%m-%d %H:%M}",
                        f"{a.end:%Y-%m-%d %H:%M}",
                    ]
                    + ([a.queue] if multi else [])
                )
        with (out / "coverage.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["interval_start", "required", "scheduled"] + (["queue"] if multi else []))
            for q in sorted(req):
                for t, r, s in zip(result.intervals, result.required[q], result.scheduled[q], strict=True):
                    w.writerow([f"{t:%Y-%m-%d %H:%M}", r, s] + ([q] if multi else []))
    except OSError as exc:
        raise _bad("--out", str(exc)) from None
    _emit({**result.summary(), "out": str(out), "interval_min": step}, as_json)


# --------------------------------------------------------------------------------------------------
# intraday: published schedules against the database (the operator's view: every unit, or one by code)

Day = Annotated[
    str | None, typer.Option("--date", help=_("Local day YYYY-MM-DD (default: today in Asia/Shanghai)."))
]
UnitCode = Annotated[str | None, typer.Option("--unit", help=_("Org unit code (default: every unit)."))]


def _intraday_view(day: str | None, unit: str | None) -> dict[str, Any]:
    """Compute the intraday view from the configured database, with a progress spinner on stderr."""
    from datetime import UTC, date

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from hotline.core.auth import Principal
    from hotline.core.cli import settings_engine
    from hotline.core.clock import to_local
    from hotline.core.db import make_sessionmaker
    from hotline.org import service as org_service
    from hotline.wfm import service

    now = datetime.now(UTC)
    try:
        d = date.fromisoformat(day) if day else to_local(now).date()
    except ValueError:
        raise _bad("--date", _("expected YYYY-MM-DD")) from None
    operator = Principal(user_id=0, username="cli", display_name="cli", roles=frozenset(), unit_path="/",
                         grants={"wfm.read": "hq"})
    _settings, engine = settings_engine()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=Console(stderr=True),
                  transient=True) as progress:
        progress.add_task(_("Reading plans, contacts and agent states"), total=None)
        with make_sessionmaker(engine)() as db:  # type: ignore[arg-type]
            unit_id = None
            if unit:
                found = org_service.unit_by_code(db_session=db, code=unit)
                if found is None:
                    raise _bad("--unit", _("no such unit"))
                unit_id = found.id
            return service.intraday_view(db_session=db, principal=operator, day=d, now=now, unit_id=unit_id)


@wfm_app.command("adherence", help=_("Schedule adherence per agent so far on a day (published schedules)."))
def adherence_cmd(day: Day = None, unit: UnitCode = None, as_json: Json = False) -> None:
    view = _intraday_view(day, unit)
    if as_json:
        typer.echo(json.dumps({"date": view["date"], "now": view["now"], "adherence_total": view["adherence_total"],
                               "agents": view["adherence"]}, ensure_ascii=False))
        return
    typer.echo(f"{view['date']} {_('as of')} {view['now'][11:16]}  {_('overall')}: "
               + ("-" if view["adherence_total"] is None else f"{view['adherence_total']:.1%}"))
    for r in sorted(view["adherence"], key=lambda r: (r["adherence"] is None, r["adherence"] or 0)):
        share = "-" if r["adherence"] is None else f"{r['adherence']:.1%}"
        typer.echo(f"{r['username']:<12} {r['name']:<8} {share:>7}  {round(r['out_of_adherence_s'] / 60):>4} min  "
                   f"{r['planned_now'] or '-'} / {r['state_now']}")


@wfm_app.command("intraday", help=_("Actual vs forecast, re-forecast, staffing and backup pool per queue on a day."))
def intraday_cmd(day: Day = None, unit: UnitCode = None, as_json: Json = False) -> None:
    view = _intraday_view(day, unit)
    if as_json:
        typer.echo(json.dumps({k: v for k, v in view.items() if k != "adherence"}, ensure_ascii=False))
        return
    for q in view["queues"]:
        t = q["totals"]
        typer.echo(f"{q['queue']}: offered {t['offered']} / forecast {t['forecast_so_far']:.0f} so far, "
                   f"ratio {q['volume_ratio']:.2f}, day re-forecast {t['reforecast_day']:.0f} "
                   f"(plan {t['forecast_day']:.0f})")
        b = q["backup"]
        if b["needed"]:
            names = ", ".join(p["name"] for p in b["people"]) or "-"
            typer.echo(f"  short by up to {b['needed']} in {len(b['gaps'])} intervals; backup: {names}"
                       + (f" (still short {b['shortfall']})" if b["shortfall"] else ""))
