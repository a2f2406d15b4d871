"""Workforce pages: the staffing calculator (Erlang C/A), the forecast with its staffing plan, the published
schedule of a day and intraday management (actual vs forecast, re-forecast, adherence, backup pool)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi import Path as FPath
from fastapi.responses import Response

from hotline.core.clock import to_local
from hotline.core.errors import HotlineError
from hotline.core.i18n import gettext
from hotline.org import service as org_service
from hotline.tickets.reports import XLSX_TYPE, to_csv, to_xlsx
from hotline.web.deps import AppClock, CurrentPrincipal, CurrentUser, DbSession, require
from hotline.web.templating import render, request_locale
from hotline.wfm import service as wfm
from hotline.wfm.api import Day, UnitId

router = APIRouter(include_in_schema=False, dependencies=[require("wfm.read")])


def _targets(db: DbSession, user: CurrentUser) -> tuple[float, float]:
    """The regular queue's SL standard in force at the planner's unit (threshold s, target)."""
    std = org_service.effective_standard(db_session=db, unit=user.unit, key="sl.regular") or {}
    return float(std.get("threshold_s", 20)), float(std.get("target", 0.8))


def _page(
    request: Request,
    today: date,
    threshold: float,
    target: float,
    query: wfm.StaffingQuery,
    history: object | None = None,
    source: str = "demo",
    error: str = "",
    status_code: int = 200,
) -> Response:
    ctx: dict[str, object] = {"q": query, "error": error, "source": source}
    locale = request_locale(request)

    def label(text: str) -> str:
        return gettext(text, locale)

    try:
        calc = wfm.staffing(query)
        ctx.update(calc=calc, calc_chart=wfm.staffing_chart(calc, query.target_sl, label))
    except HotlineError as exc:
        ctx["error"], status_code = exc.msg, 422
    hist = history if history is not None else wfm.demo_history(today)
    try:
        plan = wfm.plan(
            hist, horizon_days=7, target_sl=target, threshold_s=threshold, shrinkage=query.shrinkage
        )
        ctx.update(
            plan=plan,
            forecast_chart=wfm.forecast_chart(plan, label),
            daily_chart=wfm.daily_chart(plan, label),
            plan_target=target,
            plan_threshold=threshold,
        )
    except HotlineError as exc:
        ctx["error"], status_code = exc.msg, 422
    return render(request, "wfm/index.html", ctx, status_code=status_code)


@router.get("/wfm")
def wfm_page(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    clock: AppClock,
    calls: Annotated[float, Query(ge=0, le=1_000_000)] = 600,
    interval_s: Annotated[int, Query(ge=60, le=86_400)] = 1800,
    aht_s: Annotated[float, Query(gt=0, le=36_000)] = 240,
    threshold_s: Annotated[float | None, Query(ge=0, le=3_600)] = None,
    target_sl: Annotated[float | None, Query(gt=0, lt=1)] = None,
    patience_s: Annotated[float | None, Query(ge=0, le=36_000)] = None,
    shrinkage: Annotated[float, Query(ge=0, lt=1)] = 0.3,
) -> Response:
    threshold, target = _targets(db, user)
    query = wfm.StaffingQuery(
        calls=calls,
        interval_s=interval_s,
        aht_s=aht_s,
        threshold_s=threshold if threshold_s is None else threshold_s,
        target_sl=target if target_sl is None else target_sl,
        patience_s=patience_s or None,
        shrinkage=shrinkage,
    )
    return _page(request, to_local(clock.now()).date(), threshold, target, query)


@router.post("/wfm/forecast")
def wfm_upload(
    request: Request, db: DbSession, user: CurrentUser, clock: AppClock, file: UploadFile
) -> Response:
    """Forecast and staff from an uploaded history CSV (`interval_start,calls[,aht_s]`)."""
    threshold, target = _targets(db, user)
    query = wfm.StaffingQuery(
        calls=600,
        interval_s=1800,
        aht_s=240,
        threshold_s=threshold,
        target_sl=target,
        patience_s=None,
        shrinkage=0.3,
    )
    text = file.file.read(5_000_000).decode("utf-8-sig", errors="replace")
    today = to_local(clock.now()).date()
    try:
        hist = wfm.history_from_csv(text)
    except HotlineError as exc:
        return _page(request, today, threshold, target, query, error=exc.msg, status_code=422)
    return _page(request, today, threshold, target, query, history=hist, source=file.filename or "upload")


# ------------------------------------------------------------------------------ schedule and intraday
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}
ADHERENCE_SORTS = {
    "adherence": lambda r: (r["adherence"] is None, r["adherence"] if r["adherence"] is not None else 0),
    "out": lambda r: -r["out_of_adherence_s"],
    "name": lambda r: r["username"],
    "team": lambda r: (r["team"], r["username"]),
}


def _day(clock: AppClock, day: date | None) -> date:
    return day or to_local(clock.now()).date()


def _labeller(request: Request):  # type: ignore[no-untyped-def]
    locale = request_locale(request)
    return lambda text: gettext(text, locale)


def _export(fmt: str, name: str, rows: list[dict[str, object]], columns: dict[str, str], sheet: str,
            title: str) -> Response:
    if fmt == "xlsx":
        body = to_xlsx(rows, columns, sheet=sheet, title=title)
    else:
        body = to_csv(rows, list(columns), list(columns.values())).encode()
    return Response(body, media_type=EXPORT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/wfm/schedule")
def schedule_page(
    request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
    day: Day = None, unit_id: UnitId = None,
) -> Response:
    """A day's published schedule: Gantt of agents x time, coverage required vs scheduled, the table."""
    d = _day(clock, day)
    view = wfm.schedule_view(db_session=db, principal=principal, day=d, unit_id=unit_id)
    label = _labeller(request)
    ctx = {"view": view, "day": d, "unit_id": unit_id, "prev": d - timedelta(days=1), "next": d + timedelta(days=1),
           "gantt": wfm.gantt_chart(view, label) if view["agents"] else None,
           "coverage": [(p, wfm.coverage_chart(p, label)) for p in view["plans"]],
           "term": wfm.term}
    return render(request, "wfm/schedule.html", ctx)


@router.get("/wfm/schedule.{fmt}")
def schedule_export(
    fmt: Annotated[str, FPath(pattern="^(csv|xlsx)$")], db: DbSession, principal: CurrentPrincipal, clock: AppClock,
    day: Day = None, unit_id: UnitId = None,
) -> Response:
    """The day's schedule, one row per activity, as CSV or Excel (formula cells neutralised)."""
    d = _day(clock, day)
    view = wfm.schedule_view(db_session=db, principal=principal, day=d, unit_id=unit_id)
    return _export(fmt, f"schedule-{d}", wfm.schedule_rows(view), wfm.SCHEDULE_COLUMNS, "排班", f"排班表 {d}")


@router.get("/wfm/intraday")
def intraday_page(
    request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
    day: Day = None, unit_id: UnitId = None,
    queue: Annotated[str, Query(max_length=40)] = "",
    sort: Annotated[str, Query(pattern="^(adherence|out|name|team)$")] = "adherence",
) -> Response:
    """Actual vs forecast with the re-forecast, staffing, adherence per agent and the backup pool."""
    d = _day(clock, day)
    view = wfm.intraday_view(db_session=db, principal=principal, day=d, now=clock.now(), unit_id=unit_id)
    label = _labeller(request)
    view["adherence"].sort(key=ADHERENCE_SORTS[sort])
    shown = [q for q in view["queues"] if not queue or q["code"] == queue]
    ctx = {"view": view, "day": d, "unit_id": unit_id, "sort": sort, "queue": queue, "term": wfm.term,
           "prev": d - timedelta(days=1), "next": d + timedelta(days=1),
           "charts": [(q, wfm.intraday_chart(q, label), wfm.intraday_staffing_chart(q, label)) for q in shown]}
    return render(request, "wfm/intraday.html", ctx)


@router.get("/wfm/intraday/adherence.{fmt}")
def adherence_export(
    fmt: Annotated[str, FPath(pattern="^(csv|xlsx)$")], db: DbSession, principal: CurrentPrincipal, clock: AppClock,
    day: Day = None, unit_id: UnitId = None,
) -> Response:
    """The adherence table as CSV or Excel (formula cells neutralised)."""
    d = _day(clock, day)
    view = wfm.intraday_view(db_session=db, principal=principal, day=d, now=clock.now(), unit_id=unit_id)
    return _export(fmt, f"adherence-{d}", wfm.adherence_export_rows(view), wfm.ADHERENCE_COLUMNS, "遵从率",
                   f"排班遵从率 {d}（截至 {to_local(datetime.fromisoformat(view['now'])):%H:%M}）")
