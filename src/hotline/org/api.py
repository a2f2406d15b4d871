"""Organisation REST API: units, users, standards."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from hotline.org import schemas
from hotline.org import service as org_service
from hotline.web.deps import MAX_ID, AppClock, CurrentPrincipal, DbSession, IdPath, RequestActor, require

router = APIRouter(prefix="/api/org", tags=["org"])


class UserPage(BaseModel):
    items: list[schemas.UserRead]
    total: int


class StandardIn(BaseModel):
    value: dict[str, float] = Field(min_length=1)


@router.get("/units", response_model=list[schemas.UnitRead], dependencies=[require("org.read")])
def units(db: DbSession, principal: CurrentPrincipal) -> list[Any]:
    """The organisation tree in scope, in tree order."""
    return org_service.list_units(db_session=db, principal=principal)


@router.post("/units", response_model=schemas.UnitRead, status_code=201, dependencies=[require("org.manage")])
def create_unit(data: schemas.UnitCreate, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                actor: RequestActor) -> Any:
    return org_service.create_unit(db_session=db, principal=principal, actor=actor, now=clock.now(), data=data)


@router.get("/users", response_model=UserPage, dependencies=[require("users.read")])
def users(db: DbSession, principal: CurrentPrincipal, q: Annotated[str, Query(max_length=40)] = "",
          unit_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
          role: Annotated[str, Query(max_length=32)] = "",
          limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> UserPage:
    rows, total = org_service.list_users(db_session=db, principal=principal, q=q, unit_id=unit_id, role=role,
                                         limit=limit, offset=offset)
    return UserPage(items=[org_service.to_read(u) for u in rows], total=total)


@router.get("/users/{user_id}", response_model=schemas.UserRead, dependencies=[require("users.read")])
def user(user_id: IdPath, db: DbSession, principal: CurrentPrincipal) -> schemas.UserRead:
    return org_service.to_read(org_service.get_user(db_session=db, principal=principal, user_id=user_id))


@router.post("/users", response_model=schemas.UserRead, status_code=201, dependencies=[require("users.manage")])
def create_user(data: schemas.UserCreate, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                actor: RequestActor) -> schemas.UserRead:
    return org_service.to_read(org_service.create_user(db_session=db, principal=principal, actor=actor,
                                                       now=clock.now(), data=data))


@router.patch("/users/{user_id}", response_model=schemas.UserRead, dependencies=[require("users.manage")])
def update_user(user_id: IdPath, data: schemas.UserUpdate, db: DbSession, principal: CurrentPrincipal,
                clock: AppClock, actor: RequestActor) -> schemas.UserRead:
    """Change a user; send the version you read (stale → 409)."""
    return org_service.to_read(org_service.update_user(db_session=db, principal=principal, actor=actor,
                                                       now=clock.now(), user_id=user_id, data=data))


@router.get("/units/{unit_id}/standards/{key}", dependencies=[require("org.read")])
def standard(unit_id: IdPath, key: str, db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """The standard in force at a unit (its own, else inherited from HQ)."""
    unit = org_service.get_unit(db_session=db, unit_id=unit_id, principal=principal, permission="org.read")
    return {"unit_id": unit.id, "key": key, "value": org_service.effective_standard(db_session=db, unit=unit, key=key)}


@router.put("/units/{unit_id}/standards/{key}", dependencies=[require("standards.manage")])
def set_standard(unit_id: IdPath, key: str, data: StandardIn, db: DbSession, principal: CurrentPrincipal,
                 clock: AppClock, actor: RequestActor) -> dict[str, Any]:
    """Set a standard; a province may only tighten what it inherits."""
    row = org_service.set_standard(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                   unit_id=unit_id, key=key, value=data.value)
    return {"unit_id": row.unit_id, "key": row.key, "value": row.value}
