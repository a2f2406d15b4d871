"""Workforce pages: the staffing calculator (Erlang C/A) and the forecast with its staffing plan."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import Response

from hotline.core.clock import to_local
from hotline.core.errors import HotlineError
from hotline.core.i18n import gettext
from hotline.org import service as org_service
from hotline.web.deps import AppClock, CurrentUser, DbSession, require
from hotline.web.templating import render, request_locale
from hotline.wfm import service as wfm

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
