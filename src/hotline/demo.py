"""`hotline seed` and `hotline demo`: a demo provincial centre in one command."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from hotline.core import migrate
from hotline.core.cli import settings_engine
from hotline.core.db import make_sessionmaker
from hotline.core.i18n import cli_text as _
from hotline.seed import already_seeded, load_config, seed, seed_domains

err = Console(stderr=True)


def run_seed(*, customers: int | None, seed_value: int, quiet: bool = False,
             today_history: bool = True) -> dict[str, object] | None:
    """Migrate, then seed an empty database; None when it already had data."""
    settings, engine = settings_engine()
    migrate.upgrade(engine)  # type: ignore[arg-type]
    with make_sessionmaker(engine)() as session:  # type: ignore[arg-type]
        if already_seeded(session):
            return None
        with Progress(console=err, transient=True, disable=quiet) as progress:
            tasks: dict[str, object] = {}

            def report(what: str, done: int, total: int) -> None:
                if what not in tasks:
                    tasks[what] = progress.add_task(_("Customers") + f" {what}", total=total)
                progress.update(tasks[what], completed=done)  # type: ignore[arg-type]

            now = datetime.now(UTC)
            result = seed(session, now=now, seed=seed_value, customers=customers, progress=report)
            seed_domains(session, now=now, today_history=today_history)
        session.commit()
    return {"provinces": result.provinces, "users": result.users, "customers": result.customers,
            "logins": [{"username": u, "password": p, "role": r} for u, p, r in result.logins]}


def seed_command(
    customers: Annotated[int | None, typer.Option("--customers", min=0, help=_("Customers in the first province."))] = None,
    seed_value: Annotated[int, typer.Option("--seed", help=_("Random seed (same seed, same data)."))] = 7,
    as_json: Annotated[bool, typer.Option("--json", help=_("Print JSON."))] = False,
    history: Annotated[bool, typer.Option("--history/--no-history", help=_(
        "Simulate today's calls and agent states up to now (the intraday pages show a real day)."))] = True,
) -> None:
    """Create the demo centre in an empty database."""
    summary = run_seed(customers=customers, seed_value=seed_value, quiet=as_json, today_history=history)
    if as_json:
        typer.echo(json.dumps(summary or {"skipped": True}, ensure_ascii=False))
    elif summary is None:
        typer.echo(_("The database already has data; nothing seeded."))
    else:
        typer.echo(_("Seeded {provinces} provinces, {users} staff, {customers} customers.").format(**summary))


def print_logins() -> None:
    cfg = load_config()
    typer.echo(_("Demo logins (password for all: {pw}):").format(pw=cfg["demo_password"]))
    for login in cfg["demo_logins"]:
        typer.echo(f"  {login['username']:<11} {login['role']}")


def demo_command(
    port: Annotated[int | None, typer.Option(help=_("Port (default HOTLINE_PORT or 8000)."))] = None,
    customers: Annotated[int | None, typer.Option(help=_("Customers in the first province."))] = None,
    traffic: Annotated[bool, typer.Option(help=_("Drive simulated live traffic."))] = True,
) -> None:
    """Migrate, seed if empty, print the logins, serve, and drive simulated traffic."""
    import uvicorn

    from hotline.main import create_app

    settings, _engine = settings_engine()
    if run_seed(customers=customers, seed_value=7) is not None:
        typer.echo(_("Demo centre created."))
    port = port or settings.port
    app = create_app(settings)
    app.state.demo_traffic = traffic
    typer.echo("")
    typer.echo(_("Hotline is running at http://{host}:{port}").format(host=settings.host, port=port))
    print_logins()
    typer.echo(_("Database: ") + settings.database_url)
    uvicorn.run(app, host=settings.host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("seed", help=_("Create the demo centre in an empty database."))(seed_command)
    app.command("demo", help=_("Migrate, seed if empty, serve the demo with live traffic."))(demo_command)
