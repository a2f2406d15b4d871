"""`hotline tickets ...`: seed the classification trees, run the SLA poller once or forever, calendar maths."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated

import typer

from hotline.core.bizcal import BUSINESS_HOURS, LOCAL_TZ, TWENTY_FOUR_SEVEN
from hotline.core.i18n import cli_text as _

tickets_app = typer.Typer(name="tickets", help=_("Work orders: classification trees, SLA poller, business calendar."),
                          no_args_is_help=True, add_completion=False, rich_markup_mode=None)
Json = Annotated[bool, typer.Option("--json", help=_("Print JSON."))]


def _factory():  # type: ignore[no-untyped-def]
    from hotline.core.config import Settings
    from hotline.core.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(Settings().database_url))


@tickets_app.command("seed-categories", help=_("Add the seed phenomenon and cause trees where missing."))
def seed_categories(as_json: Json = False) -> None:
    from hotline.tickets import service

    with _factory()() as s, s.begin():
        added = service.seed_categories(db_session=s)
    typer.echo(json.dumps({"added": added}) if as_json else _("Categories added: {n}").format(n=added))


@tickets_app.command("sweep", help=_("Fire every due SLA timer once (safe to run from several processes)."))
def sweep(forever: Annotated[bool, typer.Option("--forever", help=_("Keep polling."))] = False,
          interval: Annotated[float, typer.Option("--interval", help=_("Seconds between sweeps."))] = 5.0,
          at: Annotated[str, typer.Option("--at", help=_("Sweep as if it were this time (ISO, local if no zone)."))] = "",
          as_json: Json = False) -> None:
    from hotline.core.clock import ManualClock, SystemClock
    from hotline.tickets import jobs

    factory = _factory()
    if forever:
        jobs.run_forever(factory=factory, clock=SystemClock(), interval=interval)
        return
    clock = SystemClock()
    if at:
        when = datetime.fromisoformat(at)
        clock = ManualClock(when if when.tzinfo else when.replace(tzinfo=LOCAL_TZ))
    res = jobs.sweep(factory=factory, clock=clock)
    typer.echo(json.dumps(res.__dict__) if as_json else _("Timers fired: {n}").format(n=res.fired))


@tickets_app.command("due", help=_("The due time of a step: start (local ISO time) plus business hours."))
def due(start: str, hours: float, always_open: Annotated[bool, typer.Option("--24x7", help=_("Count on a 24×7 clock."))] = False,
        as_json: Json = False) -> None:
    begin = datetime.fromisoformat(start)
    begin = begin if begin.tzinfo else begin.replace(tzinfo=LOCAL_TZ)
    cal = TWENTY_FOUR_SEVEN if always_open else BUSINESS_HOURS
    at = cal.add(begin, timedelta(hours=hours)).astimezone(LOCAL_TZ)
    typer.echo(json.dumps({"due": at.isoformat()}) if as_json else at.strftime("%Y-%m-%d %H:%M"))


def register(app: typer.Typer) -> None:
    app.add_typer(tickets_app, name="tickets")
