"""Finding the optional parts of each domain (models, api, pages, jobs, cli, service) by convention."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType


def domain_module(domain: str, part: str) -> ModuleType | None:
    """`hotline.<domain>.<part>`, or None when that domain or part does not exist (a real import error raises)."""
    name = f"hotline.{domain}.{part}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name in (name, f"hotline.{domain}"):
            return None
        raise


def domain_modules(part: str) -> Iterator[ModuleType]:
    """The `<part>` module of every domain that has one, in the domains' order."""
    from hotline import DOMAINS

    for domain in DOMAINS:
        module = domain_module(domain, part)
        if module is not None:
            yield module
