"""`hotline sim`: run a scenario, print JSON or a table; or stream it paced against the wall clock."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
import yaml
from rich.console import Console
from rich.table import Table

from hotline.core.i18n import cli_text as _
from hotline.sim import engine as sim_engine
from hotline.sim.realtime import JsonLinesSink, WallPacer
from hotline.sim.scenario import ScenarioError, load, parse


def sim(
    scenario: Annotated[Path | None, typer.Option("--scenario", help=_("Scenario YAML file."))] = None,
    from_live: Annotated[
        str | None,
        typer.Option(
            "--from-live", help=_("Build the scenario from a province's live configuration (e.g. HB).")
        ),
    ] = None,
    day: Annotated[
        str | None,
        typer.Option(
            "--date", help=_("Local day whose recorded contacts give the arrivals (default: today).")
        ),
    ] = None,
    write_scenario: Annotated[
        Path | None,
        typer.Option("--write-scenario", help=_("Save the scenario built by --from-live as YAML.")),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_("Print one JSON object."))] = False,
    jobs: Annotated[int, typer.Option("--jobs", help=_("Processes for replications (0: all cores)."))] = 1,
    replications: Annotated[
        int | None, typer.Option("--replications", help=_("Replications (default: the scenario's)."))
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help=_("Seed (default: the scenario's)."))] = None,
    realtime: Annotated[
        float | None,
        typer.Option(
            "--realtime", help=_("Run one replication paced at FACTOR x real time, events as JSON lines.")
        ),
    ] = None,
) -> None:
    """Simulate the centre on the live routing engine ("what if")."""
    err = Console(stderr=True)
    if (scenario is None) == (from_live is None):
        err.print(_("--scenario: give --scenario FILE or --from-live PROVINCE (one of them)"))
        raise typer.Exit(2)
    try:
        if from_live is not None:
            data = _from_live(from_live, day, err)
            if write_scenario is not None:
                write_scenario.write_text(
                    yaml.safe_dump(
                        data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100
                    ),
                    encoding="utf-8",
                )
                err.print(_("Scenario written to {path}").format(path=write_scenario), markup=False)
            sc = parse(data)
        else:
            assert scenario is not None
            sc = load(scenario)
    except ScenarioError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    if replications is not None and replications < 1:
        err.print("--replications: must be >= 1")
        raise typer.Exit(2)
    if seed is not None:
        sc = sc.model_copy(update={"seed": seed})
    if realtime is not None:
        if not realtime > 0:
            err.print("--realtime: must be > 0")
            raise typer.Exit(2)
        sink = JsonLinesSink()
        rep = sim_engine.simulate(
            sc, np.random.SeedSequence(sc.seed).spawn(1)[0], observer=sink, pace=WallPacer(realtime)
        )
        sink({"type": "summary", **sim_engine.summarise(sc, [rep], rep.wall_s)})
        return
    jobs = (os.cpu_count() or 1) if jobs == 0 else jobs
    reps = replications or sc.replications
    if as_json:
        result = sim_engine.run(sc, replications=reps, jobs=jobs)
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(_("replications"), total=reps)
        result = sim_engine.run(sc, replications=reps, jobs=jobs, progress=lambda k: bar.advance(task, k))
    Console().print(table(result))


def _from_live(province: str, day: str | None, err: Console) -> dict[str, Any]:
    """The scenario data of a province's live configuration, from HOTLINE_DATABASE_URL."""
    from datetime import date, datetime

    from hotline.core.cli import settings_engine
    from hotline.core.clock import LOCAL_TZ
    from hotline.core.db import make_sessionmaker
    from hotline.core.errors import NotFound
    from hotline.sim.live import scenario_from_live

    try:
        the_day = date.fromisoformat(day) if day else datetime.now(LOCAL_TZ).date()
    except ValueError:
        err.print(_("--date: expected YYYY-MM-DD, got {value!r}").format(value=day), markup=False)
        raise typer.Exit(2) from None
    _settings, engine = settings_engine()
    with make_sessionmaker(engine)() as session:  # type: ignore[arg-type]
        try:
            return scenario_from_live(db_session=session, province=province, day=the_day)
        except NotFound:
            err.print(_("--from-live: no province with code {code!r}").format(code=province), markup=False)
            raise typer.Exit(2) from None


def _pm(value: Any, ci: Any, fmt: str) -> str:
    if value is None:
        return "-"
    text = format(value, fmt)
    return text if ci is None else f"{text} ± {format(ci, fmt)}"


def table(result: dict[str, Any]) -> Table:
    """The readable form of the JSON result."""
    t = Table(
        title=_("Simulation: {reps} replications, occupancy {occ}, {speed:,.0f} simulated contacts/s").format(
            reps=result["replications"],
            occ=_pm(result["occupancy"], result["occupancy_ci95"], ".1%"),
            speed=result["sim_calls_per_s"] or 0,
        )
    )
    for col in (
        _("queue"),
        _("offered"),
        _("answered"),
        _("abandoned"),
        _("service level"),
        _("target"),
        _("ASA s"),
        _("abandon rate"),
        _("AHT s"),
        _("occupancy"),
    ):
        first = col == _("queue")
        t.add_column(col, justify="left" if first else "right", no_wrap=first)
    for name, q in result["queues"].items():
        t.add_row(
            name,
            _pm(q["offered"], q["offered_ci95"], ",.0f"),
            _pm(q["answered"], q["answered_ci95"], ",.0f"),
            _pm(q["abandoned"], q["abandoned_ci95"], ",.0f"),
            _pm(q["service_level"], q["service_level_ci95"], ".1%"),
            f"{q['sl_target']:.0%} / {q['sl_threshold_s']:g}s",
            _pm(q["asa_s"], q["asa_s_ci95"], ".1f"),
            _pm(q["abandon_rate"], q["abandon_rate_ci95"], ".2%"),
            _pm(q.get("aht_s"), q.get("aht_s_ci95"), ".0f"),
            _pm(q.get("occupancy"), q.get("occupancy_ci95"), ".1%"),
        )
    return t


def register(app: typer.Typer) -> None:
    app.command("sim", help=_('Simulate the centre on the live routing engine ("what if").'))(sim)
