"""Customer services: search, the 360 view, audited reveal, identity verification, BSS operations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core import audit
from hotline.core.auth import Principal, Resource, allowed, visible_prefix
from hotline.core.clock import to_local
from hotline.core.errors import Forbidden, InvalidInput
from hotline.core.modules import domain_module
from hotline.core.security import hash_password, mask_id_number, mask_phone, verify_password
from hotline.customers import schemas
from hotline.customers.bss import BssAdapter
from hotline.customers.errors import (
    BssRefused,
    CustomerNotFound,
    InitialPassword,
    PasswordLocked,
    VerificationRequired,
)
from hotline.customers.models import (
    BssOperation,
    Customer,
    CustomerNumber,
    SpSubscription,
    Subscription,
    Verification,
)

VERIFIED_FOR = timedelta(minutes=30)
NO_VERIFICATION_NEEDED = {"balance"}


def resource(customer: Customer) -> Resource:
    return Resource(customer.org_path)


def get(*, db_session: Session, principal: Principal, customer_id: int, permission: str = "customers.read") -> Customer:
    """A customer of the principal's province (anything else answers 404)."""
    customer = db_session.get(Customer, customer_id)
    if customer is None or not allowed(principal, permission, resource(customer)):
        raise CustomerNotFound()
    return customer


def primary_number(customer: Customer) -> str:
    return customer.numbers[0].number if customer.numbers else ""


def summary(customer: Customer) -> schemas.CustomerSummary:
    return schemas.CustomerSummary(
        id=customer.id, name=customer.name, number=mask_phone(primary_number(customer)), brand=customer.brand,
        segment=customer.segment, vip_level=customer.vip_level, area=customer.area, status=customer.status)


def search(*, db_session: Session, principal: Principal, q: str, limit: int = 20) -> list[Customer]:
    """Find customers by full number, number suffix (last 4+ digits) or name prefix, within scope."""
    prefix = visible_prefix(principal, "customers.read")
    q = q.strip()
    if prefix is None or not q:
        return []
    stmt = select(Customer).where(Customer.org_path.startswith(prefix))
    digits = q.isascii() and q.isdigit()  # not "²" and friends, which str.isdigit() also accepts
    if digits and len(q) >= 11:
        stmt = stmt.where(Customer.id.in_(select(CustomerNumber.customer_id).where(CustomerNumber.number == q)))
    elif digits and len(q) >= 4:
        stmt = stmt.where(Customer.id.in_(select(CustomerNumber.customer_id)
                                          .where(CustomerNumber.number.endswith(q))))
    elif digits:
        stmt = stmt.where(Customer.id == int(q))
    else:
        stmt = stmt.where(Customer.name.startswith(q))
    return list(db_session.execute(stmt.order_by(Customer.id).limit(limit)).scalars())


def find_by_number(*, db_session: Session, number: str) -> Customer | None:
    """The customer behind a calling number (routing, IVR; no scope: the caller identifies themself)."""
    return db_session.execute(select(Customer).join(CustomerNumber).where(CustomerNumber.number == number)
                              ).scalar_one_or_none()


def is_verified(*, db_session: Session, customer: Customer, actor_id: int | None, now: datetime) -> bool:
    """Did this actor verify this customer's identity in the last 30 minutes?"""
    last = db_session.execute(
        select(Verification).where(Verification.customer_id == customer.id, Verification.actor_id == actor_id,
                                   Verification.at >= now - VERIFIED_FOR).order_by(Verification.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last is not None and last.result in ("ok", "changed") and not customer.password_locked


def _domain_panel(domain: str, function: str, **kwargs: Any) -> list[dict[str, Any]]:
    """A list another domain contributes to the 360 view (empty until that domain exists)."""
    fn = getattr(domain_module(domain, "service"), function, None)
    return fn(**kwargs) if fn else []


def view_360(*, db_session: Session, principal: Principal, customer: Customer, now: datetime) -> schemas.Customer360:
    """Everything an agent needs about a customer, masked."""
    subs = db_session.execute(select(Subscription).where(Subscription.customer_id == customer.id,
                                                         Subscription.effective_to.is_(None))
                              .order_by(Subscription.effective_from)).scalars().all()
    today = to_local(now).date()
    current = next((s for s in reversed(subs) if s.effective_from <= today), None)
    pending = next((s for s in subs if s.effective_from > today), None)

    def pkg(sub: Subscription | None) -> dict[str, Any] | None:
        if sub is None:
            return None
        p = sub.package
        return {"code": p.code, "name": p.name, "monthly_fee_cents": p.monthly_fee_cents, "data_mb": p.data_mb,
                "voice_min": p.voice_min, "effective_from": sub.effective_from.isoformat()}

    from hotline.customers.bss import BuiltinBss

    bills = BuiltinBss(db_session).bills(customer, 6).data["bills"]
    sps = db_session.execute(select(SpSubscription).where(SpSubscription.customer_id == customer.id)).scalars()
    ops = db_session.execute(select(BssOperation).where(BssOperation.customer_id == customer.id)
                             .order_by(BssOperation.id.desc()).limit(10)).scalars()
    checks = db_session.execute(select(Verification).where(Verification.customer_id == customer.id)
                                .order_by(Verification.id.desc()).limit(5)).scalars()
    base = summary(customer).model_dump()
    return schemas.Customer360(
        **base,
        numbers=[{"number": mask_phone(n.number), "kind": n.kind} for n in customer.numbers],
        id_number=mask_id_number(customer.id_number), balance_cents=customer.balance_cents,
        ring_back_tone=customer.ring_back_tone, package=pkg(current), pending_package=pkg(pending), bills=bills,
        sp_subscriptions=[{"sp_code": s.sp_code, "name": s.name, "monthly_fee_cents": s.monthly_fee_cents,
                           "active": s.active} for s in sps],
        operations=[{"id": o.id, "operation": o.operation, "ok": o.ok, "message": o.message, "at": o.at,
                     "channel": o.channel} for o in ops],
        verifications=[{"result": v.result, "at": v.at, "channel": v.channel} for v in checks],
        contacts=_domain_panel("contacts", "history_for_customer", db_session=db_session, principal=principal,
                               customer_id=customer.id),
        work_orders=_domain_panel("tickets", "open_for_customer", db_session=db_session, principal=principal,
                                  customer_id=customer.id),
        password_is_initial=customer.password_is_initial, password_locked=customer.password_locked,
        verified=is_verified(db_session=db_session, customer=customer, actor_id=principal.user_id, now=now),
        version=customer.version)


def reveal(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, customer_id: int,
           data: schemas.RevealIn) -> str:
    """Show one full personal number to a role that may, with a reason; always audited."""
    customer = get(db_session=db_session, principal=principal, customer_id=customer_id, permission="customers.read")
    if not allowed(principal, "customers.reveal", resource(customer)):
        raise Forbidden("Your role may not reveal personal numbers", permission="customers.reveal")
    value = primary_number(customer) if data.field == "number" else customer.id_number
    audit.record(db_session, actor=actor, at=now, action="customers.reveal", target_type="customer",
                 target_id=customer.id, org_path=customer.org_path, reason=data.reason, detail={"field": data.field})
    return value


def _initial_password(customer: Customer) -> str:
    """Until changed, the service password is the last six digits of the ID number (an 'X' counts as 0)."""
    return customer.id_number[-6:].upper().replace("X", "0")


def _check_password(customer: Customer, password: str) -> bool:
    if customer.service_password_hash is None:
        return password == _initial_password(customer)
    return verify_password(customer.service_password_hash, password)


def verify(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, customer_id: int,
           data: schemas.VerifyIn, max_failures: int = 5) -> str:
    """Check the service password. Answers ok / must_change; wrong tries count, the fifth locks. Each is logged."""
    customer = get(db_session=db_session, principal=principal, customer_id=customer_id, permission="customers.verify")
    if customer.password_locked:
        result = "locked"
    elif _check_password(customer, data.password):
        customer.password_failures = 0
        result = "must_change" if customer.password_is_initial else "ok"
    else:
        customer.password_failures += 1
        result = "wrong"
        if customer.password_failures >= max_failures:
            customer.password_locked = True
            result = "locked"
    db_session.add(Verification(customer_id=customer.id, actor_id=principal.user_id, channel=data.channel,
                                method="service_password", result=result, at=now))
    audit.record(db_session, actor=actor, at=now, action="customers.verify", target_type="customer",
                 target_id=customer.id, org_path=customer.org_path, detail={"result": result})
    db_session.flush()
    return result


def change_service_password(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime,
                            customer_id: int, data: schemas.PasswordChangeIn) -> str:
    """The customer sets a new service password, proving the old (or initial) one. Counts as verified."""
    customer = get(db_session=db_session, principal=principal, customer_id=customer_id, permission="customers.verify")
    if customer.password_locked:
        raise PasswordLocked()
    if not _check_password(customer, data.old_password):
        verify(db_session=db_session, principal=principal, actor=actor, now=now, customer_id=customer_id,
               data=schemas.VerifyIn(password=data.old_password, channel=data.channel))
        raise InvalidInput("old_password", "The current service password is wrong")
    new = data.new_password
    if len(set(new)) == 1 or new in "0123456789" or new in "9876543210" or new == _initial_password(customer):
        raise InvalidInput("new_password", "Too easy to guess: no repeated, sequential or initial passwords")
    customer.service_password_hash = hash_password(new)
    customer.password_is_initial = False
    customer.password_failures = 0
    db_session.add(Verification(customer_id=customer.id, actor_id=principal.user_id, channel=data.channel,
                                method="password_change", result="changed", at=now))
    audit.record(db_session, actor=actor, at=now, action="customers.password_change", target_type="customer",
                 target_id=customer.id, org_path=customer.org_path)
    db_session.flush()
    return "changed"


def unlock_password(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime,
                    customer_id: int, reason: str) -> None:
    """A supervisor unlocks a locked service password after checking identity another way."""
    customer = get(db_session=db_session, principal=principal, customer_id=customer_id, permission="customers.reveal")
    customer.password_locked, customer.password_failures = False, 0
    audit.record(db_session, actor=actor, at=now, action="customers.password_unlock", target_type="customer",
                 target_id=customer.id, org_path=customer.org_path, reason=reason)


def do_bss(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, customer_id: int,
           data: schemas.BssIn, bss: BssAdapter) -> tuple[BssOperation, dict[str, Any]]:
    """Run one business operation for a verified customer; the operation is stored whatever its result."""
    customer = get(db_session=db_session, principal=principal, customer_id=customer_id, permission="bss.execute")
    if data.operation not in NO_VERIFICATION_NEEDED:
        if customer.password_is_initial:
            raise InitialPassword()
        if not is_verified(db_session=db_session, customer=customer, actor_id=principal.user_id, now=now):
            raise VerificationRequired()
    params = data.model_dump(exclude={"channel", "contact_ref"}, exclude_none=True)
    try:
        if data.operation == "balance":
            result = bss.balance(customer)
        elif data.operation == "bills":
            result = bss.bills(customer, 6)
        elif data.operation == "change_package":
            if not data.package_code:
                raise InvalidInput("package_code", "Choose a package")
            result = bss.change_package(customer, data.package_code, data.when, now)
        elif data.operation == "suspend":
            result = bss.suspend(customer, now)
        elif data.operation == "resume":
            result = bss.resume(customer, now)
        elif data.operation == "cancel_sp":
            if not data.sp_code:
                raise InvalidInput("sp_code", "Choose a subscription")
            result = bss.cancel_sp(customer, data.sp_code, now)
        else:
            if data.enabled is None:
                raise InvalidInput("enabled", "Say on or off")
            result = bss.set_ring_back_tone(customer, data.enabled, now)
        ok, message, out = result.ok, result.message, result.data
    except BssRefused as exc:
        ok, message, out = False, exc.msg, {}
    op = BssOperation(customer_id=customer.id, operation=data.operation, params=params, actor_id=principal.user_id,
                      channel=data.channel, contact_ref=data.contact_ref, at=now, ok=ok, message=message)
    db_session.add(op)
    db_session.flush()
    if data.operation not in ("balance", "bills"):
        audit.record(db_session, actor=actor, at=now, action=f"bss.{data.operation}", target_type="customer",
                     target_id=customer.id, org_path=customer.org_path,
                     detail={"params": params, "ok": ok, "message": message, "operation_id": op.id})
    return op, out
