"""Jinja2 rendering with the request's language, the user's permissions and a CSRF token."""

from __future__ import annotations

import contextvars
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from hotline.core.clock import to_local
from hotline.core.i18n import DEFAULT_LOCALE, normalise_locale, translations
from hotline.web.nav import nav_tiles, role_label

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
current_locale: contextvars.ContextVar[str] = contextvars.ContextVar("current_locale", default=DEFAULT_LOCALE)


def _(message: str, **kwargs: Any) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text.format(**kwargs) if kwargs else text


def _localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return to_local(value).strftime(fmt) if value else ""


def _yuan(cents: int | None) -> str:
    return "" if cents is None else f"¥{cents / 100:,.2f}"


def _tojson_attr(value: Any) -> Markup:
    """JSON for a data-* attribute (escaped by autoescape of the attribute)."""
    return Markup.escape(json.dumps(value, ensure_ascii=False, default=str))


env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(["html"]),
                  extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
env.install_gettext_callables(gettext=_, ngettext=lambda s, p, n: _(s if n == 1 else p), newstyle=False)
env.globals["_"] = _
env.filters["localtime"] = _localtime
env.filters["yuan"] = _yuan
env.filters["jsonattr"] = _tojson_attr
env.globals["nav_tiles"] = nav_tiles
env.globals["role_label"] = role_label


def request_locale(request: Request) -> str:
    """Cookie choice, then the signed-in user's preference, then Accept-Language, else zh_CN."""
    if request.cookies.get("hl_lang"):
        return normalise_locale(request.cookies["hl_lang"])
    principal = getattr(request.state, "principal", None)
    if principal is not None and principal.locale:
        return normalise_locale(principal.locale)
    accept = request.headers.get("accept-language", "")
    return normalise_locale(accept.split(",")[0]) if accept else DEFAULT_LOCALE


def render(request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a page (or an htmx fragment) in the request's language."""
    locale = request_locale(request)
    token = current_locale.set(locale)
    try:
        ctx = {
            "request": request,
            "locale": locale,
            "principal": getattr(request.state, "principal", None),
            "csrf_token": getattr(request.state, "csrf_token", "") or request.cookies.get("hl_csrf", ""),
            "htmx": request.headers.get("hx-request") == "true",
            **(context or {}),
        }
        html = env.get_template(template).render(ctx)
    finally:
        current_locale.reset(token)
    return HTMLResponse(html, status_code=status_code, headers=headers)
