"""The `hotline` command. Each domain adds its commands through `<domain>.cli.register(app)`."""

from __future__ import annotations

import typer

from hotline import demo
from hotline.core import cli as core_cli
from hotline.core.i18n import cli_text as _
from hotline.core.modules import domain_modules

app = typer.Typer(
    name="hotline",
    help=_("Hotline contact-centre platform."),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _register_domains() -> None:
    for module in (core_cli, demo, *domain_modules("cli")):
        module.register(app)


_register_domains()


def main() -> None:
    app()
