"""Work-order REST API: thin routes over tickets.service and tickets.reports. Writes accept an
Idempotency-Key; actions carry the version the client read (stale → 409)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi import Path as FPath
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from hotline.core.bizcal import LOCAL_TZ
from hotline.core.idempotency import run_once
from hotline.tickets import reports, schemas, service
from hotline.web.deps import AppClock, CurrentPrincipal, DbSession, IdPath, RequestActor, require

router = APIRouter(prefix="/api/tickets", tags=["tickets"])
Key = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


class HistoryRead(BaseModel):
    at: datetime
    actor_name: str
    action: str
    from_state: str
    to_state: str
    changes: dict[str, Any]
    note: str


def _period(clock: AppClock, start: datetime | None, end: datetime | None, days: int = 30) -> tuple[datetime, datetime]:
    end = end or clock.now()
    return start or end - timedelta(days=days), end


@router.get("", response_model=schemas.TicketPage, dependencies=[require("tickets.read")])
def list_(db: DbSession, principal: CurrentPrincipal, state: str = "", type: str = "",
          q: Annotated[str, Query(max_length=60)] = "", dept_id: int | None = None,
          page: Annotated[int, Query(ge=1)] = 1, per_page: Annotated[int, Query(ge=1, le=200)] = 50) -> schemas.TicketPage:
    """Work orders the caller may see, newest first."""
    rows, total = service.list_tickets(db_session=db, principal=principal, state=state, type=type, q=q,
                                       dept_id=dept_id, page=page, per_page=per_page)
    return schemas.TicketPage(items=[service.to_read(db, t) for t in rows], total=total, page=page, per_page=per_page)


@router.post("", status_code=201, response_model=schemas.TicketRead, dependencies=[require("tickets.create")])
async def create(data: schemas.TicketCreate, request: Request, principal: CurrentPrincipal, actor: RequestActor,
                 idempotency_key: Key = None) -> JSONResponse:
    """Take a work order (受理); retry safely with an Idempotency-Key. Creates arriving together are committed
    together (group commit); the answer comes after the commit."""
    status, body = await request.app.state.ticket_writer.run(
        service.CreateRequest(principal, actor, data, idempotency_key, request.url.path))
    return JSONResponse(body, status_code=status)


@router.get("/categories", dependencies=[require("tickets.read")])
def categories(db: DbSession, tree: str = "phenomenon") -> list[dict[str, Any]]:
    """A classification tree (phenomenon or cause), flat, parents first."""
    return [{"id": c.id, "parent_id": c.parent_id, "level": c.level, "code": c.code, "name": c.name,
             "name_en": c.name_en} for c in service.list_categories(db_session=db, tree=tree)]


@router.get("/portal/queue", dependencies=[require("tickets.dept")])
def portal_queue(db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> list[dict[str, Any]]:
    """The caller's department queue: open steps with due times, most urgent first."""
    return [{"ticket": service.to_read(db, i.ticket).model_dump(mode="json"), "step_id": i.step.id,
             "due_at": i.step.due_at.isoformat(), "remaining_seconds": int(i.remaining.total_seconds()),
             "escalation_level": i.step.escalation_level} for i in
            service.dept_queue(db_session=db, principal=principal, now=clock.now())]


@router.get("/notifications")
def notifications(db: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Unread in-app notifications for the caller or their unit."""
    return [{"id": n.id, "ticket_id": n.ticket_id, "kind": n.kind, "message": n.message,
             "created_at": n.created_at.isoformat()} for n in
            service.notifications(db_session=db, principal=principal)]


@router.get("/reports/hotspots")
def hotspots(db: DbSession, principal: CurrentPrincipal, clock: AppClock, by: str = "area",
             level: Annotated[int, Query(ge=1, le=3)] = 3, type: str = "", top: Annotated[int, Query(ge=1, le=100)] = 10,
             start: datetime | None = None, end: datetime | None = None) -> list[dict[str, Any]]:
    """Top-N orders by area, cell/site, product, type, phenomenon or cause (R-TKT-7)."""
    s, e = _period(clock, start, end)
    return [h.__dict__ for h in reports.hotspots(db_session=db, principal=principal, start=s, end=e, by=by,
                                                 level=level, type=type, top=top)]


@router.get("/reports/hotspots.{fmt}")
def hotspots_export(fmt: Annotated[str, FPath(pattern="^(csv|xlsx)$")], db: DbSession, principal: CurrentPrincipal,
                    clock: AppClock, by: str = "area", level: Annotated[int, Query(ge=1, le=3)] = 3, type: str = "",
                    top: Annotated[int, Query(ge=1, le=1000)] = 100, start: datetime | None = None,
                    end: datetime | None = None) -> Response:
    """The hotspot table as CSV or Excel (formula cells neutralised)."""
    s, e = _period(clock, start, end)
    rows = reports.hotspots(db_session=db, principal=principal, start=s, end=e, by=by, level=level, type=type, top=top)
    title = f"热点分析（{by}，{s.astimezone(LOCAL_TZ):%Y-%m-%d} 至 {e.astimezone(LOCAL_TZ):%Y-%m-%d}）"
    return _export(fmt, f"hotspots-{by}", rows, reports.HOTSPOT_COLUMNS, "热点", title)


@router.get("/reports/timeliness")
def timeliness(db: DbSession, principal: CurrentPrincipal, clock: AppClock, start: datetime | None = None,
               end: datetime | None = None) -> list[dict[str, Any]]:
    """Per department: steps due, on time, overdue, escalated, mean business hours per step."""
    s, e = _period(clock, start, end)
    return [r.__dict__ for r in reports.timeliness(db_session=db, principal=principal, start=s, end=e, now=clock.now())]


@router.get("/reports/timeliness.{fmt}")
def timeliness_export(fmt: Annotated[str, FPath(pattern="^(csv|xlsx)$")], db: DbSession, principal: CurrentPrincipal,
                      clock: AppClock, start: datetime | None = None, end: datetime | None = None) -> Response:
    """Department timeliness as CSV or Excel."""
    s, e = _period(clock, start, end)
    rows = reports.timeliness(db_session=db, principal=principal, start=s, end=e, now=clock.now())
    title = f"部门处理及时率（{s.astimezone(LOCAL_TZ):%Y-%m-%d} 至 {e.astimezone(LOCAL_TZ):%Y-%m-%d}）"
    return _export(fmt, "timeliness", rows, reports.TIMELINESS_COLUMNS, "及时率", title)


def _export(fmt: str, name: str, rows: list[Any], columns: dict[str, str], sheet: str, title: str) -> Response:
    if fmt == "xlsx":
        body, media = reports.to_xlsx(rows, columns, sheet=sheet, title=title), reports.XLSX_TYPE
    else:
        body, media = reports.to_csv(rows, list(columns)).encode(), "text/csv; charset=utf-8"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/{ticket_id}", response_model=schemas.TicketRead)
def get(ticket_id: IdPath, db: DbSession, principal: CurrentPrincipal) -> schemas.TicketRead:
    """One work order (out of scope → 404)."""
    return service.to_read(db, service.get(db_session=db, principal=principal, ticket_id=ticket_id))


@router.get("/{ticket_id}/history", response_model=list[HistoryRead])
def history(ticket_id: IdPath, db: DbSession, principal: CurrentPrincipal) -> list[HistoryRead]:
    """Every change of the order: who, when, what."""
    service.get(db_session=db, principal=principal, ticket_id=ticket_id)
    return [HistoryRead.model_validate(h, from_attributes=True) for h in
            service.history(db_session=db, ticket_id=ticket_id)]


@router.post("/{ticket_id}/actions/{action}", response_model=schemas.TicketRead)
def act(ticket_id: IdPath, action: str, data: schemas.TicketAction, request: Request, db: DbSession,
        principal: CurrentPrincipal, clock: AppClock, actor: RequestActor, idempotency_key: Key = None) -> JSONResponse:
    """Run one action of the loop (frontline_try, to_expert, solve, dispatch, redispatch, return, reply,
    callback, suspend, resume) with the version read; an illegal move answers 409."""
    now = clock.now()

    def produce() -> tuple[int, dict[str, Any]]:
        t = service.run_action(db_session=db, principal=principal, actor=actor, now=now, ticket_id=ticket_id,
                               action=action, data=data)
        return 200, service.to_read(db, t).model_dump(mode="json")

    status, body = run_once(db_session=db, key=idempotency_key, user_id=principal.user_id, method="POST",
                            path=request.url.path, body=data.model_dump(mode="json"), now=now, produce=produce)
    return JSONResponse(body, status_code=status)
