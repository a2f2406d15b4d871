"""Customer tables and the built-in BSS tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.core.db import Base


class Customer(Base):
    """A subscriber of one province. Personal numbers are stored whole and masked on every way out."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    org_path: Mapped[str] = mapped_column(String(120), index=True)  # the province's path
    area: Mapped[str] = mapped_column(String(40), default="")  # city / district
    name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(String(24), default="")
    brand: Mapped[str] = mapped_column(String(24), default="")  # 全球通 / 神州行 / 动感地带 ...
    segment: Mapped[str] = mapped_column(String(16), default="regular")  # regular / vip
    vip_level: Mapped[str] = mapped_column(String(16), default="")  # '' / silver / gold / diamond
    status: Mapped[str] = mapped_column(String(16), default="active")  # active / suspended
    balance_cents: Mapped[int] = mapped_column(default=0)
    ring_back_tone: Mapped[bool] = mapped_column(default=False)
    service_password_hash: Mapped[str | None] = mapped_column(String(200))
    password_is_initial: Mapped[bool] = mapped_column(default=True)
    password_failures: Mapped[int] = mapped_column(default=0)
    password_locked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    numbers: Mapped[list["CustomerNumber"]] = relationship(lazy="selectin", order_by="CustomerNumber.id")

    __mapper_args__ = {"version_id_col": version}


class CustomerNumber(Base):
    __tablename__ = "customer_numbers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="mobile")  # mobile / fixed / broadband


class Package(Base):
    """A tariff package of the product catalogue."""

    __tablename__ = "packages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    brand: Mapped[str] = mapped_column(String(24), default="")
    monthly_fee_cents: Mapped[int] = mapped_column(default=0)
    data_mb: Mapped[int] = mapped_column(default=0)
    voice_min: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Subscription(Base):
    """A customer's package over a date range; a change for next month is a pending row."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)

    package: Mapped[Package] = relationship(lazy="joined")


class Bill(Base):
    __tablename__ = "bills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    amount_cents: Mapped[int]
    paid: Mapped[bool] = mapped_column(default=True)
    items: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (UniqueConstraint("customer_id", "month", name="uq_bills_customer_month"),)


class SpSubscription(Base):
    """A value-added service (SP) subscription, e.g. a news or game service billed monthly."""

    __tablename__ = "sp_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    sp_code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(80))
    monthly_fee_cents: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    cancelled_at: Mapped[datetime | None]


class BssOperation(Base):
    """One business operation executed through the BSS adapter: who, when, channel, result."""

    __tablename__ = "bss_operations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    operation: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor_id: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(16), default="voice")
    contact_ref: Mapped[str] = mapped_column(String(64), default="")  # recording or IVR trace reference
    at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(default=True)
    message: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_bss_operations_customer_at", "customer_id", "at"),)


class Verification(Base):
    """One identity check (service password) — every attempt is logged."""

    __tablename__ = "verifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(16), default="voice")
    method: Mapped[str] = mapped_column(String(24), default="service_password")
    result: Mapped[str] = mapped_column(String(16))  # ok / wrong / locked / must_change / changed
    at: Mapped[datetime]

    __table_args__ = (Index("ix_verifications_customer_at", "customer_id", "at"),)
