"""`hotline reports ...`: KPI figures and group scoring from contact-log CSV files."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hotline.core.i18n import cli_text as _
from hotline.reports import contactlog, kpi

reports_app = typer.Typer(
    name="reports",
    help=_("Reports: KPI figures and scoring rules computed from contact logs."),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

# When no targets file is given: the industry's 80/20 with a 5 s short abandon.
DEFAULT_TARGET = kpi.QueueTarget("*", 20, 0.80, 5)


class By(str, Enum):
    queue_day = "queue-day"
    queue_interval = "queue-interval"
    centre_day = "centre-day"
    agent_day = "agent-day"
    team_day = "team-day"


ContactsOpt = Annotated[Path, typer.Option("--contacts", help=_("Contact-log CSV file."), dir_okay=False)]
StatesOpt = Annotated[Path | None, typer.Option("--states", help=_("Agent-state CSV file."), dir_okay=False)]
ScheduleOpt = Annotated[Path | None, typer.Option("--schedule", help=_("Schedule CSV file."), dir_okay=False)]
TargetsOpt = Annotated[
    Path | None,
    typer.Option(
        "--targets",
        help=_("Queue targets CSV file (default: 80% in 20 s, short abandon 5 s)."),
        dir_okay=False,
    ),
]
StartOpt = Annotated[
    str | None, typer.Option("--start", help=_("First local day of the period (YYYY-MM-DD)."))
]
EndOpt = Annotated[str | None, typer.Option("--end", help=_("Last local day of the period (YYYY-MM-DD)."))]
JsonOpt = Annotated[bool, typer.Option("--json", help=_("Print JSON."))]

# Columns of the default table, per --by.
_TABLE: dict[By, tuple[str, ...]] = {
    By.queue_day: (
        "offered",
        "answered",
        "abandoned",
        "short_abandoned",
        "answered_in_threshold",
        "service_level",
        "answer_rate",
        "abandonment_rate",
        "asa_s",
        "aht_s",
        "fcr_24h",
        "met_target",
    ),
    By.queue_interval: (
        "offered",
        "answered",
        "abandoned",
        "short_abandoned",
        "answered_in_threshold",
        "service_level",
        "answer_rate",
        "asa_s",
        "aht_s",
    ),
    By.centre_day: (
        "offered",
        "answered",
        "abandoned",
        "service_level",
        "answer_rate",
        "asa_s",
        "aht_s",
        "fcr_24h",
        "satisfaction_mean",
        "occupancy",
        "utilisation",
        "adherence",
    ),
    By.agent_day: (
        "answered",
        "aht_s",
        "avg_talk_s",
        "transfer_rate",
        "fcr_24h",
        "satisfaction_mean",
        "occupancy",
        "utilisation",
        "adherence",
    ),
    By.team_day: (
        "answered",
        "aht_s",
        "transfer_rate",
        "fcr_24h",
        "satisfaction_mean",
        "occupancy",
        "utilisation",
        "adherence",
    ),
}
_SHARES = {
    "service_level",
    "service_level_variant_b",
    "answer_rate",
    "abandonment_rate",
    "transfer_rate",
    "fcr_24h",
    "fcr_7d",
    "satisfaction_top2_share",
    "occupancy",
    "utilisation",
    "adherence",
    "compliance_ratio",
}


def register(app: typer.Typer) -> None:
    """Add `hotline reports` to the root app."""
    app.add_typer(reports_app, name="reports")


def _fail(exc: Exception, as_json: bool) -> typer.Exit:
    """Report a bad input file on stderr (JSON error object with --json) and exit with status 2."""
    if isinstance(exc, contactlog.ContactLogError):
        payload: dict[str, Any] = exc.to_dict() | {
            "details": {"path": exc.path, "line": exc.line, "column": exc.column}
        }
    else:
        payload = {"code": "invalid_input", "msg": str(exc), "details": {}}
    print(json.dumps(payload, ensure_ascii=False) if as_json else f"error: {payload['msg']}", file=sys.stderr)
    return typer.Exit(code=2)


def _period(start: str | None, end: str | None) -> kpi.Period | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise typer.BadParameter(_("give both --start and --end"), param_hint="'--start'")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise typer.BadParameter(_("dates are YYYY-MM-DD"), param_hint="'--start'") from None
    if last < first:
        raise typer.BadParameter(_("--end is before --start"), param_hint="'--end'")
    return first, last


def _cell(name: str, value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        if name in _SHARES:
            return f"{value:.1%}"
        return f"{value:.1f}" if name.endswith("_s") else f"{value:.3f}"
    return str(value)


def _print_table(
    title: str,
    key_names: tuple[str, ...],
    rows: Sequence[tuple[tuple[str, ...], Mapping[str, Any]]],
    columns: tuple[str, ...],
) -> None:
    console = Console(width=None if sys.stdout.isatty() else 240)
    table = Table(title=title)
    for k in key_names:
        table.add_column(_(k))
    for c in columns:
        table.add_column(_(c), justify="right")
    for keys, figs in rows:
        table.add_row(*keys, *(_cell(c, figs.get(c)) for c in columns))
    console.print(table)


@reports_app.command(
    "kpi", help=_("KPI figures (docs/KPI.md) by queue x day or interval, centre, agent or team x day.")
)
def kpi_command(
    contacts: ContactsOpt,
    states: StatesOpt = None,
    schedule: ScheduleOpt = None,
    targets: TargetsOpt = None,
    by: Annotated[By, typer.Option("--by", help=_("Grouping of the figures."))] = By.queue_day,
    interval: Annotated[
        int, typer.Option("--interval", help=_("Interval length in minutes (queue-interval)."))
    ] = 30,
    start: StartOpt = None,
    end: EndOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """KPI figures (KPI.md) by queue x day/interval, centre, agent or team x day."""
    period = _period(start, end)
    if interval <= 0 or 1440 % interval:
        raise typer.BadParameter(_("must divide a day (15, 30, 60 ...)"), param_hint="'--interval'")
    try:
        log = contactlog.read_contacts(contacts)
        segs = contactlog.read_agent_states(states) if states else []
        plan = contactlog.read_schedule(schedule) if schedule else []
        tgt = contactlog.read_targets(targets) if targets else {}
        default = None if targets else DEFAULT_TARGET
        result: dict[str, Any]
        if by is By.queue_day:
            result = _nested(kpi.queue_day(log, tgt, period=period, default_target=default))
        elif by is By.queue_interval:
            result = _nested(
                kpi.queue_interval(log, tgt, interval_minutes=interval, period=period, default_target=default)
            )
        elif by is By.centre_day:
            result = {
                d: f.as_dict()
                for d, f in kpi.centre_day(
                    log, tgt, states=segs, schedule=plan, period=period, default_target=default
                ).items()
            }
        elif by is By.agent_day:
            result = _nested(kpi.agent_day(log, states=segs, schedule=plan, period=period))
        else:
            result = _nested(kpi.team_day(log, states=segs, schedule=plan, period=period))
    except (contactlog.ContactLogError, OSError, ValueError, KeyError) as exc:
        raise _fail(exc, as_json) from None
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    rows: list[tuple[tuple[str, ...], Mapping[str, Any]]]
    if by is By.centre_day:
        rows = [((d,), figs) for d, figs in result.items()]
        _print_table(by.value, ("day",), rows, _TABLE[by])
    else:
        first = {
            By.queue_day: "queue",
            By.queue_interval: "queue",
            By.agent_day: "agent",
            By.team_day: "team",
        }[by]
        second = "interval" if by is By.queue_interval else "day"
        rows = [((k, p), figs) for k, per in result.items() for p, figs in per.items()]
        _print_table(by.value, (first, second), rows, _TABLE[by])


def _nested(rows: dict[str, dict[str, kpi.Figures]]) -> dict[str, Any]:
    return {k: {p: f.as_dict() for p, f in per.items()} for k, per in rows.items()}


@reports_app.command(
    "scoring",
    help=_("Group scoring rules: daily SL compliance per queue and mystery-call score per province."),
)
def scoring_command(
    contacts: ContactsOpt,
    targets: Annotated[Path, typer.Option("--targets", help=_("Queue targets CSV file."), dir_okay=False)],
    provinces: Annotated[
        Path | None,
        typer.Option("--provinces", help=_("Mystery-call results per province (CSV)."), dir_okay=False),
    ] = None,
    start: StartOpt = None,
    end: EndOpt = None,
    full_marks: Annotated[float, typer.Option("--full-marks", help=_("Points for SL compliance."))] = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Group scoring rules: daily SL compliance per queue and the mystery-call score per province."""
    period = _period(start, end)
    try:
        tgt = contactlog.read_targets(targets)
        days = kpi.queue_day(contactlog.read_contacts(contacts), tgt, period=period)
        scores = contactlog.read_provinces(provinces) if provinces else None
    except (contactlog.ContactLogError, OSError, ValueError, KeyError) as exc:
        raise _fail(exc, as_json) from None
    compliance = {q: c.as_dict() for q, c in kpi.sl_compliance(days, full_marks=full_marks).items()}
    result: dict[str, Any] = {"compliance": compliance}
    if scores is not None:
        result["mystery_call"] = kpi.mystery_call_scores(scores).as_dict()
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    _print_table(
        _("Daily SL compliance"),
        ("queue",),
        [((q,), c | {"days_met": len(c["days_met"])}) for q, c in compliance.items()],
        ("days_met", "days_in_period", "compliance_ratio", "compliance_score"),
    )
    if "mystery_call" in result:
        m = result["mystery_call"]
        _print_table(
            _("Mystery-call score"),
            ("province",),
            [((p,), {"score": s, "score_capped": m["score_capped"][p]}) for p, s in m["score"].items()],
            ("score", "score_capped"),
        )
