"""Customer pages: search and the 360 view with verification and BSS actions (htmx)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from hotline.core.errors import HotlineError
from hotline.customers import schemas
from hotline.customers import service as customer_service
from hotline.customers.bss import make_bss
from hotline.customers.models import Package
from hotline.web.deps import AppClock, AppSettings, CurrentPrincipal, DbSession, IdPath, RequestActor, require
from hotline.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[require("customers.read")])


@router.get("/customers")
def search_page(request: Request, db: DbSession, principal: CurrentPrincipal, q: str = "") -> Response:
    rows = customer_service.search(db_session=db, principal=principal, q=q[:40], limit=50) if q else []
    return render(request, "customers/search.html",
                  {"q": q, "rows": [customer_service.summary(c) for c in rows]})


def _panel(request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock, customer_id: IdPath,
           message: str = "", error: str = "", revealed: dict[str, str] | None = None,
           status_code: int = 200) -> Response:
    customer = customer_service.get(db_session=db, principal=principal, customer_id=customer_id)
    view = customer_service.view_360(db_session=db, principal=principal, customer=customer, now=clock.now())
    packages = db.execute(select(Package).where(Package.active.is_(True), Package.brand == customer.brand)
                          .order_by(Package.monthly_fee_cents)).scalars().all()
    months = list(reversed(view.bills))
    bills_chart = {"type": "bar", "x": [b["month"] for b in months],
                   "series": [{"name": "¥", "data": [round(b["amount_cents"] / 100, 2) for b in months]}]}
    template = "customers/_panel.html" if request.headers.get("hx-request") == "true" else "customers/view.html"
    return render(request, template, {"c": view, "bills_chart": bills_chart, "packages": packages, "message": message, "error": error,
                                      "revealed": revealed or {}}, status_code=status_code)


@router.get("/customers/{customer_id}")
def view_page(customer_id: IdPath, request: Request, db: DbSession, principal: CurrentPrincipal,
              clock: AppClock) -> Response:
    return _panel(request, db, principal, clock, customer_id)


RESULT_TEXT = {"ok": "Identity verified", "must_change": "Correct, but the initial password must be changed first",
               "wrong": "Wrong service password", "locked": "Service password locked after too many wrong tries",
               "changed": "Service password changed; identity verified"}


@router.post("/customers/{customer_id}/verify")
def verify_action(customer_id: IdPath, request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                  actor: RequestActor, settings: AppSettings, password: str = Form("")) -> Response:
    try:
        data = schemas.VerifyIn(password=password)
        result = customer_service.verify(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                         customer_id=customer_id, data=data,
                                         max_failures=settings.service_password_max_failures)
    except ValidationError:
        return _panel(request, db, principal, clock, customer_id, error="The service password has 6 digits")
    ok = result == "ok"
    return _panel(request, db, principal, clock, customer_id, message=RESULT_TEXT[result] if ok else "",
                  error="" if ok else RESULT_TEXT[result])


@router.post("/customers/{customer_id}/service-password")
def password_action(customer_id: IdPath, request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                    actor: RequestActor, old_password: str = Form(""), new_password: str = Form("")) -> Response:
    try:
        data = schemas.PasswordChangeIn(old_password=old_password, new_password=new_password)
        result = customer_service.change_service_password(db_session=db, principal=principal, actor=actor,
                                                          now=clock.now(), customer_id=customer_id, data=data)
    except ValidationError:
        return _panel(request, db, principal, clock, customer_id, error="The service password has 6 digits")
    except HotlineError as exc:
        db.commit()  # keep the logged failed check
        return _panel(request, db, principal, clock, customer_id, error=exc.msg)
    return _panel(request, db, principal, clock, customer_id, message=RESULT_TEXT[result])


@router.post("/customers/{customer_id}/bss")
def bss_action(customer_id: IdPath, request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
               actor: RequestActor, settings: AppSettings, operation: str = Form(""), package_code: str = Form(""),
               when: str = Form("now"), sp_code: str = Form(""), enabled: str = Form("")) -> Response:
    try:
        data = schemas.BssIn(operation=operation, package_code=package_code or None, when=when,
                             sp_code=sp_code or None, enabled={"on": True, "off": False}.get(enabled))
        op, _out = customer_service.do_bss(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                           customer_id=customer_id, data=data, bss=make_bss(settings.bss_backend, db))
    except ValidationError as exc:
        return _panel(request, db, principal, clock, customer_id, error=f"{exc.errors()[0]['loc'][0]}: invalid")
    except HotlineError as exc:
        return _panel(request, db, principal, clock, customer_id, error=exc.msg)
    if op.ok:
        return _panel(request, db, principal, clock, customer_id, message="Done")
    return _panel(request, db, principal, clock, customer_id, error=op.message)


@router.post("/customers/{customer_id}/reveal")
def reveal_action(customer_id: IdPath, request: Request, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
                  actor: RequestActor, field: str = Form("number"), reason: str = Form("")) -> Response:
    try:
        data = schemas.RevealIn(field=field, reason=reason)
    except ValidationError:
        return _panel(request, db, principal, clock, customer_id, error="Give a reason to reveal")
    value = customer_service.reveal(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                    customer_id=customer_id, data=data)
    return _panel(request, db, principal, clock, customer_id, revealed={field: value}, message="Revealed and audited")
