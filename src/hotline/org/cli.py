"""`hotline users ...`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy import select

from hotline.core import audit
from hotline.core.auth import ROLE_NAMES, Principal
from hotline.core.cli import settings_engine
from hotline.core.db import make_sessionmaker
from hotline.core.i18n import cli_text as _
from hotline.org import schemas
from hotline.org import service as org_service
from hotline.org.models import OrgUnit

users_app = typer.Typer(help=_("Users and roles."), no_args_is_help=True, rich_markup_mode=None)


@users_app.command("create", help=_("Create a user (the command line acts as a system administrator)."))
def create(
    username: Annotated[str, typer.Argument(help=_("Login name."))],
    role: Annotated[list[str], typer.Option("--role", help=_("Role (repeatable): ") + ", ".join(ROLE_NAMES))],
    unit: Annotated[str, typer.Option("--unit", help=_("Code of the organisation unit, e.g. HB or HB-WH-T01."))],
    name: Annotated[str, typer.Option("--name", help=_("Display name."))] = "",
    password: Annotated[str, typer.Option("--password", prompt=True, hide_input=True,
                                          confirmation_prompt=True, help=_("Initial password (min. 8)."))] = "",
    as_json: Annotated[bool, typer.Option("--json", help=_("Print JSON."))] = False,
) -> None:
    _settings, engine = settings_engine()
    with make_sessionmaker(engine)() as session:  # type: ignore[arg-type]
        target = session.execute(select(OrgUnit).where(OrgUnit.code == unit)).scalar_one_or_none()
        if target is None:
            raise typer.BadParameter(_("no unit with this code"), param_hint="--unit")
        try:
            data = schemas.UserCreate(username=username, display_name=name or username, password=password,
                                      unit_id=target.id, roles=role)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        system = Principal.build(user_id=0, username="cli", display_name="cli", roles={"administrator"},
                                 unit_path="/", province_path="/")
        user = org_service.create_user(db_session=session, principal=system, actor=audit.Actor(None, "cli"),
                                       now=datetime.now(UTC), data=data)
        session.commit()
        out = {"id": user.id, "username": user.username, "roles": sorted(role), "unit": unit}
    typer.echo(json.dumps(out, ensure_ascii=False) if as_json else _("Created user {u} (id {i}).").format(
        u=out["username"], i=out["id"]))


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
