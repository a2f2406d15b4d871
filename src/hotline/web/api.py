"""Sign-in API, health and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from hotline.core import audit as audit_log
from hotline.core.auth import visible_prefix
from hotline.core.models import AuditEntry
from hotline.org import schemas as org_schemas
from hotline.org import service as org_service
from hotline.web.deps import (
    SESSION_COOKIE,
    AppClock,
    AppSettings,
    CurrentPrincipal,
    CurrentUser,
    DbSession,
    RequestActor,
    client_ip,
    require,
)

router = APIRouter(prefix="/api", tags=["auth"])


class TokenOut(BaseModel):
    token: str
    csrf_token: str
    user_id: int
    must_change_password: bool


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    permissions: dict[str, str]
    unit_path: str
    locale: str


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/auth/login", response_model=TokenOut)
def api_login(data: org_schemas.LoginIn, request: Request, response: Response, db: DbSession, clock: AppClock,
              settings: AppSettings) -> TokenOut:
    """Sign in; answers a bearer token (also set as a session cookie)."""
    user, token, csrf = org_service.login(
        db_session=db, username=data.username, password=data.password, ip=client_ip(request), now=clock.now(),
        session_hours=settings.session_hours, max_failures=settings.login_max_failures,
        lock_minutes=settings.login_lock_minutes, rate_per_minute=settings.login_rate_per_minute)
    set_session_cookie(response, token, settings.cookie_secure, settings.session_hours)
    return TokenOut(token=token, csrf_token=csrf, user_id=user.id, must_change_password=user.must_change_password)


def set_session_cookie(response: Response, token: str, secure: bool, hours: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, max_age=hours * 3600)


@router.post("/auth/logout", status_code=204)
def api_logout(request: Request, db: DbSession, clock: AppClock, user: CurrentUser) -> Response:
    token = request.headers.get("authorization", "")[7:].strip() or request.cookies.get(SESSION_COOKIE, "")
    org_service.logout(db_session=db, token=token, now=clock.now())
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/me", response_model=MeOut)
def me(principal: CurrentPrincipal) -> MeOut:
    return MeOut(id=principal.user_id, username=principal.username, display_name=principal.display_name,
                 roles=sorted(principal.roles), permissions=principal.grants, unit_path=principal.unit_path,
                 locale=principal.locale)


@router.post("/me/password", status_code=204)
def change_password(data: org_schemas.PasswordChange, db: DbSession, clock: AppClock, user: CurrentUser,
                    actor: RequestActor) -> Response:
    """Change your own password (every session of yours ends)."""
    org_service.change_password(db_session=db, user=user, actor=actor, now=clock.now(), data=data)
    return Response(status_code=204)


class AuditOut(BaseModel):
    id: int
    at: Any
    actor_name: str
    ip: str
    action: str
    target_type: str
    target_id: str
    reason: str
    detail: dict[str, Any]


@router.get("/audit", response_model=list[AuditOut], dependencies=[require("audit.read")])
def audit_list(db: DbSession, principal: CurrentPrincipal, target_type: str = "", target_id: str = "",
               action: str = "", limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AuditOut]:
    """Audit rows in the principal's scope, newest first."""
    return [AuditOut.model_validate(e, from_attributes=True) for e in list_audit(
        db, principal, target_type=target_type, target_id=target_id, action=action, limit=limit)]


def list_audit(db: Any, principal: Any, *, target_type: str = "", target_id: str = "", action: str = "",
               limit: int = 100) -> list[AuditEntry]:
    prefix = visible_prefix(principal, "audit.read") or "-"
    stmt = select(AuditEntry).where(AuditEntry.org_path.startswith(prefix))
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action))
    return list(db.execute(stmt.order_by(AuditEntry.id.desc()).limit(limit)).scalars())


@router.get("/audit/verify", dependencies=[require("audit.verify")])
def audit_verify(db: DbSession) -> dict[str, Any]:
    """Recompute the hash chain."""
    report = audit_log.verify_chain(db)
    return {"ok": report.ok, "checked": report.checked, "first_bad_id": report.first_bad_id, "problem": report.problem}
