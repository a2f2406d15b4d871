"""Core commands: serve, db upgrade|downgrade|current, audit verify."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hotline.core import migrate
from hotline.core.config import Settings
from hotline.core.db import make_engine, make_sessionmaker
from hotline.core.i18n import cli_text as _

db_app = typer.Typer(help=_("Database schema."), no_args_is_help=True, rich_markup_mode=None)
audit_app = typer.Typer(help=_("The audit log."), no_args_is_help=True, rich_markup_mode=None)


def settings_engine() -> tuple[Settings, object]:
    settings = Settings()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings, make_engine(settings.database_url)


@db_app.command("upgrade", help=_("Migrate the database to the newest schema."))
def db_upgrade(target: Annotated[str, typer.Argument(help=_("Revision (default: every head)."))] = "heads") -> None:
    _settings, engine = settings_engine()
    migrate.upgrade(engine, target)  # type: ignore[arg-type]
    typer.echo(_("Database is at: ") + ", ".join(sorted(migrate.current(engine))))  # type: ignore[arg-type]


@db_app.command("downgrade", help=_("Migrate the database down to a revision ('base' empties it)."))
def db_downgrade(target: Annotated[str, typer.Argument(help=_("Revision, e.g. base or core@-1."))]) -> None:
    _settings, engine = settings_engine()
    migrate.downgrade(engine, target)  # type: ignore[arg-type]
    typer.echo(_("Database is at: ") + (", ".join(sorted(migrate.current(engine))) or "base"))  # type: ignore[arg-type]


@db_app.command("current", help=_("Show the revisions the database is at."))
def db_current(as_json: Annotated[bool, typer.Option("--json", help=_("Print JSON."))] = False) -> None:
    _settings, engine = settings_engine()
    cur, heads = migrate.current(engine), migrate.heads()  # type: ignore[arg-type]
    ok = migrate.is_up_to_date(engine)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps({"current": sorted(cur), "heads": sorted(heads), "up_to_date": ok}))
    else:
        typer.echo(", ".join(sorted(cur)) or "base")
        typer.echo(_("Up to date") if ok else _("Pending migrations: run `hotline db upgrade`"))


@audit_app.command("verify", help=_("Recompute the audit log's hash chain and report tampering."))
def audit_verify(as_json: Annotated[bool, typer.Option("--json", help=_("Print JSON."))] = False) -> None:
    from hotline.core.audit import verify_chain

    _settings, engine = settings_engine()
    with make_sessionmaker(engine)() as session:  # type: ignore[arg-type]
        report = verify_chain(session)
    if as_json:
        typer.echo(json.dumps(report.__dict__))
    elif report.ok:
        typer.echo(_("Audit chain intact: {n} rows checked").format(n=report.checked))
    else:
        typer.echo(_("Audit chain BROKEN at row {id}: {problem}").format(id=report.first_bad_id,
                                                                          problem=report.problem))
    raise typer.Exit(0 if report.ok else 1)


def serve(
    host: Annotated[str | None, typer.Option(help=_("Address to listen on."))] = None,
    port: Annotated[int | None, typer.Option(help=_("Port (default HOTLINE_PORT or 8000)."))] = None,
) -> None:
    """Run the web server."""
    import uvicorn

    from hotline.main import create_app

    settings, engine = settings_engine()
    migrate.upgrade(engine)  # type: ignore[arg-type]
    app = create_app(settings)
    uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level="info")


def register(app: typer.Typer) -> None:
    app.command("serve", help=_("Run the web server (migrates first)."))(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(audit_app, name="audit")
