"""Workforce JSON API: a day's published schedule and its intraday figures (role `wfm.read`, org-scoped)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from hotline.core.clock import to_local
from hotline.web.deps import MAX_ID, AppClock, CurrentPrincipal, DbSession, require
from hotline.wfm import service

router = APIRouter(prefix="/api/wfm", tags=["wfm"], dependencies=[require("wfm.read")])
Day = Annotated[date | None, Query(alias="date")]
UnitId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.get("/schedule")
def schedule(db: DbSession, principal: CurrentPrincipal, clock: AppClock, day: Day = None,
             unit_id: UnitId = None) -> dict[str, Any]:
    """The day's published plans (coverage per queue) and each agent's activities in local time; a unit out
    of scope is not found (404); without a unit, only plans and agents in the caller's scope."""
    d = day or to_local(clock.now()).date()
    return service.schedule_view(db_session=db, principal=principal, day=d, unit_id=unit_id)


@router.get("/intraday")
def intraday(db: DbSession, principal: CurrentPrincipal, clock: AppClock, day: Day = None,
             unit_id: UnitId = None) -> dict[str, Any]:
    """Per queue: actual vs forecast per interval, damped re-forecast, agents required and scheduled, the
    backup-pool suggestion; per agent: adherence so far (KPI.md §6)."""
    d = day or to_local(clock.now()).date()
    return service.intraday_view(db_session=db, principal=principal, day=d, now=clock.now(), unit_id=unit_id)
