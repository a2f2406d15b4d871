"""The composition root: build the app from settings, clock and event hub."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from hotline import DOMAINS, __version__
from hotline.core.clock import Clock, SystemClock
from hotline.core.config import Settings
from hotline.core.db import make_engine, make_sessionmaker, read_engine
from hotline.core.errors import HotlineError, NotAuthenticated
from hotline.core.events import EventHub, make_hub
from hotline.core.i18n import gettext
from hotline.core.modules import domain_module, domain_modules
from hotline.org.service import SessionCache
from hotline.web.middleware import BodyLimit, SecurityHeaders, install_log_scrubbing
from hotline.web.nav import mount_paths
from hotline.web.routing import RouteIndex
from hotline.web.templating import STATIC_DIR, render, request_locale

log = logging.getLogger("hotline")

VALIDATION_MESSAGES = {
    "missing": "This field is required",
    "string_too_short": "Too short",
    "string_too_long": "Too long",
    "string_pattern_mismatch": "Invalid format",
    "int_parsing": "Must be a whole number",
    "float_parsing": "Must be a number",
    "greater_than_equal": "Too small",
    "less_than_equal": "Too large",
    "greater_than": "Too small",
    "less_than": "Too large",
    "json_invalid": "Invalid JSON",
    "value_error": "Invalid value",
    "literal_error": "Not one of the allowed values",
    "bool_parsing": "Must be true or false",
    "too_short": "Too few items",
}


def _wants_json(request: Request) -> bool:
    return (request.url.path.startswith("/api") or "application/json" in request.headers.get("accept", "")) \
        and request.headers.get("hx-request") != "true"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the domains' background jobs (pollers, runtimes) while the server runs."""
    tasks = [asyncio.create_task(job(app), name=getattr(job, "__name__", "job")) for job in app.state.background]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None, hub: EventHub | None = None) -> FastAPI:
    """Build the application. The only place where parts are wired together."""
    settings = settings or Settings()
    app = FastAPI(title="Hotline", version=__version__, docs_url="/api/docs", openapi_url="/api/openapi.json",
                  redoc_url=None, lifespan=_lifespan)
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size)
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock or SystemClock()
    app.state.hub = hub or make_hub(settings.redis_url)
    app.state.sessionmaker = make_sessionmaker(engine, info={"hub": app.state.hub})
    app.state.read_sessionmaker = make_sessionmaker(read_engine(engine), info={"hub": app.state.hub})
    app.state.session_cache = SessionCache(settings.session_cache_seconds)
    app.state.hub.subscribe(app.state.session_cache.on_event)
    app.state.background = []  # async jobs (app) -> None that domains add in jobs.install(app)
    install_log_scrubbing()

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.exception_handler(HotlineError)
    async def hotline_error(request: Request, exc: HotlineError) -> Response:
        locale = request_locale(request)
        body = {"code": exc.code, "msg": gettext(exc.msg, locale), "details": exc.details}
        if _wants_json(request):
            return JSONResponse(body, status_code=exc.http_status)
        if isinstance(exc, NotAuthenticated):
            return Response(status_code=303, headers={"location": f"/login?next={request.url.path}"})
        return render(request, "error.html", {"error": body, "status": exc.http_status}, status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        locale = request_locale(request)
        errors = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body"), "type": e["type"],
             "msg": gettext(VALIDATION_MESSAGES.get(e["type"], "Invalid value"), locale)}
            for e in exc.errors()
        ]
        fields = ", ".join(e["field"] for e in errors)
        body = {"code": "invalid_input", "msg": gettext("Invalid input", locale) + f": {fields}",
                "details": {"errors": errors}}
        if _wants_json(request):
            return JSONResponse(body, status_code=422)
        return render(request, "error.html", {"error": body, "status": 422}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        locale = request_locale(request)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        body = {"code": code, "msg": gettext("Not found" if exc.status_code == 404 else "Request failed", locale),
                "details": {}}
        if _wants_json(request):
            return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))
        return render(request, "error.html", {"error": body, "status": exc.status_code}, status_code=exc.status_code)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        """A number too large for a column (any id or count the route did not bound) is bad input, not a crash."""
        body = {"code": "invalid_input", "msg": gettext("A number is out of range", request_locale(request)),
                "details": {}}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = {"code": "internal_error", "msg": gettext("Something went wrong; it has been logged",
                                                         request_locale(request)), "details": {}}
        return JSONResponse(body, status_code=500)

    page_paths: set[str] = set()

    def include(router: Any) -> None:
        app.include_router(router)
        page_paths.update(getattr(r, "path", "") for r in router.routes)

    for module_name in ("hotline.web.pages", "hotline.web.api"):
        include(importlib.import_module(module_name).router)
    for domain in DOMAINS:
        for part in ("api", "pages"):
            module = domain_module(domain, part)
            if module is not None:
                include(module.router)
    mount_paths(page_paths)
    RouteIndex.install(app.router)
    for jobs in domain_modules("jobs"):  # start-up hooks (runtimes, pollers) a domain may declare
        if hasattr(jobs, "install"):
            jobs.install(app)
    return app
