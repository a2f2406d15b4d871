"""Organisation pages: the tree, the people list, a person's page with the admin edit form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from hotline.core.auth import ROLE_NAMES
from hotline.core.errors import HotlineError
from hotline.org import schemas
from hotline.org import service as org_service
from hotline.web.deps import MAX_ID, AppClock, CurrentPrincipal, DbSession, IdPath, RequestActor, require
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/org", dependencies=[require("org.read")])
def org_tree(request: Request, db: DbSession, principal: CurrentPrincipal) -> Response:
    units = org_service.list_units(db_session=db, principal=principal)
    counts = org_service.headcount_by_unit(db_session=db, units=units)
    return render(request, "org/tree.html", {"units": units, "counts": counts})


@router.post("/org", dependencies=[require("org.manage")])
def org_create(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock, actor: RequestActor,
               kind: str = Form(""), code: str = Form(""), name: str = Form(""),
               parent_id: int = Form(0, ge=0, le=MAX_ID)) -> Response:
    try:
        org_service.create_unit(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                data=schemas.UnitCreate(kind=kind, code=code, name=name, parent_id=parent_id))
    except (ValidationError, HotlineError) as exc:
        units = org_service.list_units(db_session=db, principal=principal)
        return render(request, "org/tree.html", {"units": units, "error": _first_error(exc),
                                                  "counts": org_service.headcount_by_unit(db_session=db, units=units)},
                      status_code=422)
    return RedirectResponse("/org", status_code=303)


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}"
    return getattr(exc, "msg", str(exc))


@router.post("/users", dependencies=[require("users.manage")])
async def user_create(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                      actor: RequestActor, username: str = Form(""), display_name: str = Form(""),
                      password: str = Form(""), unit_id: int = Form(0, ge=0, le=MAX_ID)) -> Response:
    form = await request.form()
    try:
        user = org_service.create_user(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                       data=schemas.UserCreate(username=username, display_name=display_name,
                                                               password=password, unit_id=unit_id,
                                                               roles=form.getlist("roles")))
    except (ValidationError, HotlineError) as exc:
        return _users_list(request, db, principal, error=_first_error(exc), status_code=422)
    return RedirectResponse(f"/users/{user.id}", status_code=303)


@router.get("/users", dependencies=[require("users.read")])
def users_page(request: Request, db: DbSession, principal: CurrentPrincipal, q: str = "", role: str = "",
               unit_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
               page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    return _users_list(request, db, principal, q=q, role=role, unit_id=unit_id, page=page)


def _users_list(request: Request, db: DbSession, principal: CurrentPrincipal, *, q: str = "", role: str = "",
                unit_id: int | None = None, page: int = 1, error: str = "", status_code: int = 200) -> Response:
    rows, total = org_service.list_users(db_session=db, principal=principal, q=q[:40], role=role[:32],
                                         unit_id=unit_id, limit=50, offset=(page - 1) * 50)
    units = org_service.list_units(db_session=db, principal=principal) if principal.can("users.manage") else []
    return render(request, "org/users.html", {"rows": [org_service.to_read(u) for u in rows], "total": total,
                                               "q": q, "role": role, "page": page, "roles": ROLE_NAMES,
                                               "pages": (total + 49) // 50, "units": units, "error": error},
                  status_code=status_code)


def _user_page(request: Request, db: DbSession, principal: CurrentPrincipal, user_id: int, error: str = "",
               message: str = "", status_code: int = 200) -> Response:
    user = org_service.get_user(db_session=db, principal=principal, user_id=user_id)
    units = org_service.list_units(db_session=db, principal=principal) if principal.can("users.manage") else []
    return render(request, "org/user.html", {"u": org_service.to_read(user), "roles": ROLE_NAMES, "units": units,
                                              "error": error, "message": message}, status_code=status_code)


@router.get("/users/{user_id}", dependencies=[require("users.read")])
def user_page(user_id: IdPath, request: Request, db: DbSession, principal: CurrentPrincipal) -> Response:
    return _user_page(request, db, principal, user_id)


@router.post("/users/{user_id}", dependencies=[require("users.manage")])
async def user_update(user_id: IdPath, request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                      actor: RequestActor, version: int = Form(...), display_name: str = Form(""),
                      unit_id: int = Form(..., ge=1, le=MAX_ID), tier: str = Form(""), star_level: int = Form(1),
                      cert_level: int = Form(1), career_stage: str = Form("new"), career_track: str = Form(""),
                      skills: str = Form(""), active: str = Form("")) -> Response:
    form = await request.form()
    try:
        parsed_skills = [schemas.SkillIn(skill=k.strip(), level=int(v)) for k, v in
                         (item.split(":") for item in skills.replace("，", ",").split(",") if ":" in item)]
        data = schemas.UserUpdate(version=version, display_name=display_name or None, unit_id=unit_id, tier=tier,
                                  star_level=star_level, cert_level=cert_level, career_stage=career_stage,
                                  career_track=career_track or None, roles=form.getlist("roles") or None,
                                  skills=parsed_skills, active=active == "on")
        org_service.update_user(db_session=db, principal=principal, actor=actor, now=clock.now(), user_id=user_id,
                                data=data)
    except (ValidationError, ValueError) as exc:
        return _user_page(request, db, principal, user_id, error=str(exc).splitlines()[0], status_code=422)
    except HotlineError as exc:
        return _user_page(request, db, principal, user_id, error=exc.msg, status_code=exc.http_status)
    return RedirectResponse(f"/users/{user_id}?saved=1", status_code=303)
