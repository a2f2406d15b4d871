"""Sign-in pages, the home page per role, language switch, the audit page."""

from __future__ import annotations

from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hotline.core.errors import Forbidden, HotlineError
from hotline.core.security import new_token
from hotline.org import service as org_service
from hotline.web.api import list_audit, set_session_cookie
from hotline.web.deps import SESSION_COOKIE, AppClock, AppSettings, CurrentPrincipal, DbSession, client_ip
from hotline.web.nav import nav_tiles
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)

def safe_next(target: str | None) -> str:
    """Only same-site relative redirects."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    csrf = request.cookies.get("hl_csrf") or new_token()
    request.state.csrf_token = csrf
    response = render(request, "login.html", {"next": safe_next(next)})
    response.set_cookie("hl_csrf", csrf, httponly=True, samesite="strict")
    return response


@router.post("/login")
def login_submit(request: Request, db: DbSession, clock: AppClock, settings: AppSettings,
                 username: str = Form(""), password: str = Form(""), csrf_token: str = Form(""),
                 next: str = Form("/")) -> Response:
    if not csrf_token or csrf_token != request.cookies.get("hl_csrf"):
        raise Forbidden("CSRF token missing or wrong", reason="csrf")
    try:
        user, token, _csrf = org_service.login(
            db_session=db, username=username.strip(), password=password, ip=client_ip(request), now=clock.now(),
            session_hours=settings.session_hours, max_failures=settings.login_max_failures,
            lock_minutes=settings.login_lock_minutes, rate_per_minute=settings.login_rate_per_minute)
    except HotlineError as exc:
        request.state.csrf_token = csrf_token
        return render(request, "login.html", {"next": safe_next(next), "error": exc.msg, "username": username},
                      status_code=exc.http_status)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, token, settings.cookie_secure, settings.session_hours)
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession, clock: AppClock, principal: CurrentPrincipal) -> Response:
    org_service.logout(db_session=db, token=request.cookies.get(SESSION_COOKIE, ""), now=clock.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{locale}")
def switch_language(locale: str, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie("hl_lang", "en" if locale.startswith("en") else "zh_CN", samesite="lax", max_age=86400 * 365)
    return response


@router.get("/")
def home(request: Request, principal: CurrentPrincipal) -> Response:
    tiles = nav_tiles(principal)
    return render(request, "home.html", {"tiles": tiles, "roles": sorted(principal.roles)})


@router.get("/audit")
def audit_page(request: Request, db: DbSession, principal: CurrentPrincipal, target_type: str = "",
               target_id: str = "", action: str = "") -> Response:
    if not principal.can("audit.read"):
        raise Forbidden(permission="audit.read")
    rows = list_audit(db, principal, target_type=target_type, target_id=target_id, action=action, limit=200)
    return render(request, "audit.html", {"rows": rows, "filters": {"target_type": target_type,
                                                                   "target_id": target_id, "action": action}})
