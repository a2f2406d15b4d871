"""Work-order pages: list, create form, detail with the actions of the loop, the back-office department
portal (its queue, due times, reply form — scoped to the department), and the hotspot report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from hotline.core.auth import Principal
from hotline.core.bizcal import LOCAL_TZ
from hotline.core.errors import HotlineError, NotFound
from hotline.org.models import OrgUnit
from hotline.tickets import reports, rules, schemas, service
from hotline.web.deps import AppClock, CurrentPrincipal, DbSession, IdPath, RequestActor, require
from hotline.web.templating import render

router = APIRouter(include_in_schema=False)
LABELS = {"types": rules.TYPE_NAMES, "states": rules.STATE_NAMES, "priorities": rules.PRIORITY_NAMES,
          "links": rules.LINK_NAMES, "sla_modes": rules.SLA_MODE_NAMES}


def _leaves(db: DbSession, tree: str) -> list[tuple[int, str]]:
    """Level-3 categories labelled with their full path (seeds the trees on first use)."""
    cats = service.list_categories(db_session=db, tree=tree)
    if not cats:
        service.seed_categories(db_session=db)
        cats = service.list_categories(db_session=db, tree=tree)
    by_id = {c.id: c for c in cats}

    def label(c: Any) -> str:
        parts = [c.name]
        while c.parent_id in by_id:
            c = by_id[c.parent_id]
            parts.insert(0, c.name)
        return " / ".join(parts)

    return [(c.id, label(c)) for c in cats if c.level == 3]


def _departments(db: DbSession, principal: Principal) -> list[OrgUnit]:
    prefix = principal.province_path or principal.unit_path
    return list(db.execute(select(OrgUnit).where(OrgUnit.kind == "department", OrgUnit.active.is_(True),
                                                 OrgUnit.path.startswith(prefix)).order_by(OrgUnit.id)).scalars())


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}


def _ints(data: dict[str, Any], *names: str) -> None:
    for n in names:
        data[n] = int(data[n]) if str(data.get(n, "")).strip().isdigit() else None


@router.get("/tickets", dependencies=[require("tickets.read")])
def list_page(request: Request, db: DbSession, principal: CurrentPrincipal, state: str = "", type: str = "",
              q: str = "", page: int = 1) -> Response:
    rows, total = service.list_tickets(db_session=db, principal=principal, state=state, type=type, q=q[:60],
                                       page=max(page, 1), per_page=50)
    items = [service.to_read(db, t) for t in rows]
    return render(request, "tickets/list.html", {"items": items, "total": total, "page": page, "state": state,
                                                 "type": type, "q": q, **LABELS})


@router.get("/tickets/new", dependencies=[require("tickets.create")])
def new_page(request: Request, db: DbSession, principal: CurrentPrincipal, customer_id: str = "",
             contact_id: str = "", error: str = "", field: str = "") -> Response:
    return render(request, "tickets/new.html", {"phenomena": _leaves(db, "phenomenon"), "customer_id": customer_id,
                                                "contact_id": contact_id, "error": error, "field": field,
                                                "form": {}, **LABELS})


@router.post("/tickets/new", dependencies=[require("tickets.create")])
async def create_action(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                        actor: RequestActor) -> Response:
    form = await _form(request)
    data = dict(form)
    _ints(data, "customer_id", "phenomenon_id", "parent_id")
    data["contact_ids"] = [c for c in data.pop("contact_id", "").split(",") if c.strip()]
    error, field = "", ""
    try:
        with db.begin_nested():
            t = service.do_create(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                  data=schemas.TicketCreate(**data))
        return RedirectResponse(f"/tickets/{t.id}", status_code=303)
    except ValidationError as exc:
        first = exc.errors()[0]
        error, field = first["msg"], str(first["loc"][0]) if first["loc"] else ""
    except HotlineError as exc:
        error, field = exc.msg, str(exc.details.get("field", ""))
    return render(request, "tickets/new.html", {"phenomena": _leaves(db, "phenomenon"), "error": error,
                                                "field": field, "form": form, **LABELS}, status_code=422)


FIELD_NAMES = {"state": "状态", "prev_state": "挂起前状态", "priority": "优先级", "type": "类型", "tried": "已尝试处理",
               "dept_id": "处理部门", "cause_id": "销障原因", "result": "处理结果", "resolved_by": "解决环节",
               "satisfaction": "满意度", "closed_at": "归档时间", "due_at": "时限", "escalation_level": "升级级别",
               "step_id": "环节", "linked": "关联工单", "kind": "关联方式"}


def _changes_text(db: DbSession, dept_names: dict[int, str]) -> Any:
    """A function for the history table: (field label, old, new) in words, not codes."""
    values: dict[str, dict[Any, str]] = {
        "state": rules.STATE_NAMES, "prev_state": rules.STATE_NAMES, "priority": rules.PRIORITY_NAMES,
        "type": rules.TYPE_NAMES, "satisfaction": rules.SATISFACTION_NAMES, "resolved_by": rules.RESOLVED_BY_NAMES,
        "dept_id": dept_names, "kind": rules.LINK_NAMES}

    def word(field: str, v: Any) -> str:
        if v is None or v == "":
            return "—"
        if field == "cause_id":
            return " / ".join(service.category_path(db_session=db, category_id=v)) or str(v)
        if field in ("closed_at", "due_at") and isinstance(v, str):
            return f"{datetime.fromisoformat(v).astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}"
        return str(values.get(field, {}).get(v, v))

    return lambda changes: [(FIELD_NAMES.get(k, k), word(k, old), word(k, new)) for k, (old, new) in changes.items()]


def _detail(request: Request, db: DbSession, principal: Principal, ticket_id: int, error: str = "",
            status_code: int = 200) -> Response:
    t = service.get(db_session=db, principal=principal, ticket_id=ticket_id)
    linked, joint = service.linked(db_session=db, ticket_id=t.id)
    depts = _departments(db, principal)
    dept_names = {d.id: d.name for d in depts}
    if t.dept_id is not None and t.dept_id not in dept_names:
        dept_names[t.dept_id] = db.get(OrgUnit, t.dept_id).name  # type: ignore[union-attr]
    return render(request, "tickets/detail.html", {
        "t": service.to_read(db, t), "steps": service.steps(db_session=db, ticket_id=t.id),
        "history": service.history(db_session=db, ticket_id=t.id), "linked": linked, "joint": joint,
        "phenomenon": " / ".join(service.category_path(db_session=db, category_id=t.phenomenon_id)),
        "cause": " / ".join(service.category_path(db_session=db, category_id=t.cause_id)),
        "causes": _leaves(db, "cause"), "departments": depts, "error": error, "dept_names": dept_names,
        "changes": _changes_text(db, dept_names), "satisfaction": rules.SATISFACTION,
        **LABELS}, status_code=status_code)


@router.get("/tickets/portal", dependencies=[require("tickets.dept")])
def portal_page(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                error: str = "") -> Response:
    now = clock.now()
    queue = service.dept_queue(db_session=db, principal=principal, now=now)
    figures = reports.timeliness(db_session=db, principal=principal, start=now - timedelta(days=30), end=now, now=now)
    return render(request, "tickets/portal.html", {
        "queue": queue, "causes": _leaves(db, "cause"), "departments": _departments(db, principal),
        "figures": figures, "error": error, "notes": service.notifications(db_session=db, principal=principal),
        **LABELS})


@router.get("/tickets/hotspots")
def hotspots_page(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock, by: str = "area",
                  level: int = 3, type: str = "", days: int = 30) -> Response:
    now = clock.now()
    start = now - timedelta(days=max(1, min(days, 366)))
    level = min(max(level, 1), 3)
    top = reports.hotspots(db_session=db, principal=principal, start=start, end=now, by=by, level=level, type=type)
    series = reports.trend(db_session=db, principal=principal, start=start, end=now, type=type,
                           by=by if by in ("area", "cell_id", "product", "type") else "",
                           keys=[h.key for h in top[:5]])
    buckets = sorted({b for s in series.values() for b in s})
    top_chart = {"type": "bar", "x": [h.key for h in top], "series": [{"name": "工单数", "data": [h.count for h in top]}]}
    trend_chart = {"type": "line", "x": buckets,
                   "series": [{"name": k, "data": [v.get(b, 0) for b in buckets]} for k, v in series.items()]}
    figures = reports.timeliness(db_session=db, principal=principal, start=start, end=now, now=now)
    rate_chart = {"type": "bar", "x": [f.dept for f in figures],
                  "series": [{"name": "按时率 %", "data": [round((f.on_time_rate or 0) * 100, 1) for f in figures]}]}
    return render(request, "tickets/hotspots.html", {
        "top": top, "by": by, "level": level, "type": type, "days": days, "figures": figures,
        "top_chart": top_chart, "trend_chart": trend_chart, "rate_chart": rate_chart,
        "dimensions": reports.DIMENSIONS, **LABELS})


@router.get("/tickets/{ticket_id}", dependencies=[require("tickets.read")])
def detail_page(ticket_id: IdPath, request: Request, db: DbSession, principal: CurrentPrincipal) -> Response:
    return _detail(request, db, principal, ticket_id)


@router.post("/tickets/{ticket_id}/act/{action}", dependencies=[require("tickets.read")])
async def act(ticket_id: IdPath, action: str, request: Request, db: DbSession, principal: CurrentPrincipal,
              clock: AppClock, actor: RequestActor) -> Response:
    data = await _form(request)
    back = data.pop("back", "")
    _ints(data, "dept_id", "cause_id", "version")
    try:
        with db.begin_nested():
            service.run_action(db_session=db, principal=principal, actor=actor, now=clock.now(),
                               ticket_id=ticket_id, action=action,
                               data=schemas.TicketAction(**{k: v for k, v in data.items() if v is not None}))
    except NotFound:
        raise
    except (HotlineError, ValidationError) as exc:
        msg = exc.msg if isinstance(exc, HotlineError) else "Invalid input"
        if back == "portal":
            return portal_page(request, db, principal, clock, error=msg)
        return _detail(request, db, principal, ticket_id, error=msg, status_code=409)
    return RedirectResponse("/tickets/portal" if back == "portal" else f"/tickets/{ticket_id}", status_code=303)
