"""Customer REST API: thin routes over customers.service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from hotline.core.idempotency import run_once
from hotline.customers import schemas
from hotline.customers import service as customer_service
from hotline.customers.bss import make_bss
from hotline.web.deps import AppClock, AppSettings, CurrentPrincipal, DbSession, IdPath, RequestActor, require

router = APIRouter(prefix="/api/customers", tags=["customers"])


@router.get("", response_model=list[schemas.CustomerSummary], dependencies=[require("customers.read")])
def search(db: DbSession, principal: CurrentPrincipal,
           q: Annotated[str, Query(min_length=1, max_length=40)],
           limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[schemas.CustomerSummary]:
    """Search by number, last digits or name (masked results)."""
    return [customer_service.summary(c) for c in customer_service.search(db_session=db, principal=principal, q=q,
                                                                         limit=limit)]


@router.get("/{customer_id}", response_model=schemas.Customer360, dependencies=[require("customers.read")])
def get_360(customer_id: IdPath, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> schemas.Customer360:
    """The customer 360 view (masked)."""
    customer = customer_service.get(db_session=db, principal=principal, customer_id=customer_id)
    return customer_service.view_360(db_session=db, principal=principal, customer=customer, now=clock.now())


@router.post("/{customer_id}/reveal", dependencies=[require("customers.read")])
def reveal(customer_id: IdPath, data: schemas.RevealIn, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
           actor: RequestActor) -> dict[str, str]:
    """Reveal one full number, with a reason (audited)."""
    value = customer_service.reveal(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                    customer_id=customer_id, data=data)
    return {"field": data.field, "value": value}


@router.post("/{customer_id}/verify", dependencies=[require("customers.verify")])
def verify(customer_id: IdPath, data: schemas.VerifyIn, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
           actor: RequestActor, settings: AppSettings) -> dict[str, str]:
    """Check the customer's service password: ok, must_change, wrong or locked."""
    result = customer_service.verify(db_session=db, principal=principal, actor=actor, now=clock.now(),
                                     customer_id=customer_id, data=data,
                                     max_failures=settings.service_password_max_failures)
    return {"result": result}


@router.post("/{customer_id}/service-password", dependencies=[require("customers.verify")])
def change_service_password(customer_id: IdPath, data: schemas.PasswordChangeIn, db: DbSession,
                            principal: CurrentPrincipal, clock: AppClock, actor: RequestActor) -> dict[str, str]:
    """The customer changes the service password (initial passwords must be changed before handling)."""
    return {"result": customer_service.change_service_password(
        db_session=db, principal=principal, actor=actor, now=clock.now(), customer_id=customer_id, data=data)}


@router.post("/{customer_id}/bss", response_model=schemas.BssOut, dependencies=[require("bss.execute")])
def bss_operation(customer_id: IdPath, data: schemas.BssIn, request: Request, db: DbSession,
                  principal: CurrentPrincipal, clock: AppClock, actor: RequestActor, settings: AppSettings,
                  idempotency_key: Annotated[str | None, Header(max_length=128)] = None) -> JSONResponse:
    """Run a BSS operation; retry safely with an Idempotency-Key. A refused operation answers 409 and is kept."""
    now = clock.now()

    def produce() -> tuple[int, dict[str, object]]:
        op, out = customer_service.do_bss(db_session=db, principal=principal, actor=actor, now=now,
                                          customer_id=customer_id, data=data, bss=make_bss(settings.bss_backend, db))
        body = schemas.BssOut(operation_id=op.id, operation=op.operation, ok=op.ok, message=op.message, data=out)
        return (200 if op.ok else 409), body.model_dump()

    status, payload = run_once(db_session=db, key=idempotency_key, user_id=principal.user_id, method="POST",
                               path=request.url.path, body=data.model_dump(), now=now, produce=produce)
    return JSONResponse(payload, status_code=status)
