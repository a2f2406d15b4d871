"""Customer shapes. Personal numbers leave only masked, except through an audited reveal."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

CHANNELS = Literal["voice", "chat", "sms", "self_service", "counter"]


class CustomerSummary(BaseModel):
    id: int
    name: str
    number: str  # masked
    brand: str
    segment: str
    vip_level: str
    area: str
    status: str


class Customer360(CustomerSummary):
    numbers: list[dict[str, str]]  # masked
    id_number: str  # masked
    balance_cents: int
    ring_back_tone: bool
    package: dict[str, Any] | None
    pending_package: dict[str, Any] | None
    bills: list[dict[str, Any]]
    sp_subscriptions: list[dict[str, Any]]
    operations: list[dict[str, Any]]
    verifications: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    work_orders: list[dict[str, Any]]
    password_is_initial: bool
    password_locked: bool
    verified: bool
    version: int


class RevealIn(BaseModel):
    field: Literal["number", "id_number"]
    reason: str = Field(min_length=2, max_length=200)


class VerifyIn(BaseModel):
    password: str = Field(pattern=r"^\d{6}$")
    channel: CHANNELS = "voice"


class PasswordChangeIn(BaseModel):
    old_password: str = Field(pattern=r"^\d{6}$")
    new_password: str = Field(pattern=r"^\d{6}$")
    channel: CHANNELS = "voice"


class BssIn(BaseModel):
    operation: Literal["bills", "balance", "change_package", "suspend", "resume", "cancel_sp", "ring_back_tone"]
    package_code: str | None = Field(None, max_length=32)
    when: Literal["now", "next_month"] = "now"
    sp_code: str | None = Field(None, max_length=32)
    enabled: bool | None = None
    channel: CHANNELS = "voice"
    contact_ref: str = Field("", max_length=64)


class BssOut(BaseModel):
    operation_id: int
    operation: str
    ok: bool
    message: str
    data: dict[str, Any]
