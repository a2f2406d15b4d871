"""`hotline sim`: run a scenario, print JSON or a table; or stream it paced against the wall clock."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from hotline.core.i18n import cli_text as _
from hotline.sim import engine as sim_engine
from hotline.sim.realtime import JsonLinesSink, WallPacer
from hotline.sim.scenario import ScenarioError, load


def sim(
    scenario: Annotated[Path, typer.Option("--scenario", help=_("Scenario YAML file."))],
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
    try:
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
    ):
        t.add_column(col, justify="left" if col == _("queue") else "right")
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
        )
    return t


def register(app: typer.Typer) -> None:
    app.command("sim", help=_('Simulate the centre on the live routing engine ("what if").'))(sim)
