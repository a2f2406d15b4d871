"""The `hotline` command. Each domain adds its commands through `<domain>.cli.register(app)`."""

from __future__ import annotations

import importlib

import typer

from hotline import DOMAINS
from hotline.core.i18n import cli_text as _

app = typer.Typer(
    name="hotline",
    help=_("Hotline contact-centre platform."),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _register_domains() -> None:
    for domain in ("core", "demo", *DOMAINS):
        try:
            module = importlib.import_module(f"hotline.{domain}" if domain == "demo" else f"hotline.{domain}.cli")
        except ModuleNotFoundError as exc:
            if exc.name != f"hotline.{domain}.cli" and exc.name != f"hotline.{domain}":
                raise
            continue
        module.register(app)


_register_domains()


def main() -> None:
    app()
