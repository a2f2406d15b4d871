"""The BSS adapter: the operator's business support system behind a Protocol, and a built-in BSS on our own
tables that really executes every operation (R-CUS-3/4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.clock import to_local
from hotline.customers.errors import BssRefused
from hotline.customers.models import Bill, Customer, Package, SpSubscription, Subscription


@dataclass(frozen=True)
class BssResult:
    ok: bool
    message: str
    data: dict[str, Any]


class BssAdapter(Protocol):
    """What hotline needs from a BSS. A real operator's BSS implements the same methods."""

    def balance(self, customer: Customer) -> BssResult: ...
    def bills(self, customer: Customer, months: int) -> BssResult: ...
    def change_package(self, customer: Customer, package_code: str, when: str, now: datetime) -> BssResult: ...
    def suspend(self, customer: Customer, now: datetime) -> BssResult: ...
    def resume(self, customer: Customer, now: datetime) -> BssResult: ...
    def cancel_sp(self, customer: Customer, sp_code: str, now: datetime) -> BssResult: ...
    def set_ring_back_tone(self, customer: Customer, enabled: bool, now: datetime) -> BssResult: ...


def first_of_next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


class BuiltinBss:
    """The built-in BSS: operations run on hotline's own customer tables, in the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def balance(self, customer: Customer) -> BssResult:
        return BssResult(True, "ok", {"balance_cents": customer.balance_cents, "status": customer.status})

    def bills(self, customer: Customer, months: int = 6) -> BssResult:
        rows = self.session.execute(select(Bill).where(Bill.customer_id == customer.id)
                                    .order_by(Bill.month.desc()).limit(months)).scalars()
        return BssResult(True, "ok", {"bills": [{"month": b.month, "amount_cents": b.amount_cents, "paid": b.paid,
                                                 "items": b.items} for b in rows]})

    def change_package(self, customer: Customer, package_code: str, when: str, now: datetime) -> BssResult:
        package = self.session.execute(select(Package).where(Package.code == package_code,
                                                             Package.active.is_(True))).scalar_one_or_none()
        if package is None:
            raise BssRefused("No such package", field="package_code")
        if package.brand and package.brand != customer.brand:
            raise BssRefused("This package is not offered for the customer's brand", field="package_code")
        if customer.status != "active":
            raise BssRefused("The number is suspended", field="status")
        today = to_local(now).date()
        start = today if when == "now" else first_of_next_month(today)
        current = self.session.execute(select(Subscription).where(
            Subscription.customer_id == customer.id, Subscription.effective_to.is_(None))
            .order_by(Subscription.effective_from.desc())).scalars().all()
        for sub in current:
            if sub.effective_from >= start:  # a pending change is replaced
                self.session.delete(sub)
            else:
                if sub.package_id == package.id:
                    raise BssRefused("The customer already has this package", field="package_code")
                sub.effective_to = start
        self.session.add(Subscription(customer_id=customer.id, package_id=package.id, effective_from=start))
        self.session.flush()
        return BssResult(True, "ok", {"package_code": package.code, "effective_from": start.isoformat()})

    def suspend(self, customer: Customer, now: datetime) -> BssResult:
        if customer.status == "suspended":
            raise BssRefused("Already suspended", field="status")
        customer.status = "suspended"
        return BssResult(True, "ok", {"status": "suspended"})

    def resume(self, customer: Customer, now: datetime) -> BssResult:
        if customer.status != "suspended":
            raise BssRefused("Not suspended", field="status")
        customer.status = "active"
        return BssResult(True, "ok", {"status": "active"})

    def cancel_sp(self, customer: Customer, sp_code: str, now: datetime) -> BssResult:
        sp = self.session.execute(select(SpSubscription).where(
            SpSubscription.customer_id == customer.id, SpSubscription.sp_code == sp_code,
            SpSubscription.active.is_(True))).scalar_one_or_none()
        if sp is None:
            raise BssRefused("No active subscription to this service", field="sp_code")
        sp.active, sp.cancelled_at = False, now
        return BssResult(True, "ok", {"sp_code": sp_code, "cancelled": True})

    def set_ring_back_tone(self, customer: Customer, enabled: bool, now: datetime) -> BssResult:
        if customer.ring_back_tone == enabled:
            raise BssRefused("Ring-back tone is already " + ("on" if enabled else "off"), field="enabled")
        customer.ring_back_tone = enabled
        return BssResult(True, "ok", {"ring_back_tone": enabled})


def make_bss(name: str, session: Session) -> BssAdapter:
    """The adapter chosen in settings (HOTLINE_BSS_BACKEND)."""
    if name == "builtin":
        return BuiltinBss(session)
    raise ValueError(f"unknown BSS backend {name!r}")
