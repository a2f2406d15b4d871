"""Translations: zh-CN by default, English complete (English is the source language). Catalogues are Babel
.po files, one per domain, merged and read at start-up."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"


@lru_cache(maxsize=None)
def translations(locale: str) -> Translations:
    """Load the catalogue for a locale (English source strings need none)."""
    tr = Translations()
    if locale == "en":
        return tr
    merged: dict[str, str] = {}
    for po in sorted((LOCALE_DIR / locale / "LC_MESSAGES").glob("*.po")):  # messages.po + one per domain
        with po.open("rb") as fh:
            merged.update({m.id: m.string for m in read_po(fh, locale=locale) if m.id and m.string})
    tr._catalog = merged  # type: ignore[attr-defined]
    return tr


def normalise_locale(value: str | None) -> str:
    """Map 'zh', 'zh-CN', 'zh_CN.UTF-8', 'en-US' ... to a supported locale."""
    if not value:
        return DEFAULT_LOCALE
    v = value.split(".")[0].replace("-", "_").lower()
    if v.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def gettext(message: str, locale: str = DEFAULT_LOCALE) -> str:
    return translations(normalise_locale(locale)).gettext(message)


def cli_locale() -> str:
    """CLI language: HOTLINE_LANG, else LANGUAGE/LC_ALL/LANG, else zh_CN."""
    for var in ("HOTLINE_LANG", "LANGUAGE", "LC_ALL", "LANG"):
        if os.environ.get(var) and os.environ[var] not in ("C", "C.UTF-8", "POSIX"):
            return normalise_locale(os.environ[var])
    return DEFAULT_LOCALE


def cli_text(message: str) -> str:
    """Translate a CLI help text into the terminal's language."""
    return gettext(message, cli_locale())
