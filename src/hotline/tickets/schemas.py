"""Work-order request and answer shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from hotline.tickets import rules


class TicketCreate(BaseModel):
    type: str = Field(pattern="^(" + "|".join(rules.TYPES) + ")$")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    customer_id: int | None = None
    phenomenon_id: int | None = None
    area: str = Field(default="", max_length=40)
    cell_id: str = Field(default="", max_length=40)
    product: str = Field(default="", max_length=40)
    contact_ids: list[str] = Field(default_factory=list, max_length=50)
    repeat_contacts: int = Field(default=0, ge=0, le=1000)
    parent_id: int | None = None  # the complaint this order was spawned from
    link_kind: str = "network_linkage"


class TicketAction(BaseModel):
    """One action on an order; `version` is the version the client read (stale → 409)."""

    version: int
    note: str = Field(default="", max_length=10_000)
    dept_id: int | None = None
    cause_id: int | None = None
    result: str = Field(default="", max_length=10_000)
    satisfaction: str = ""
    reason: str = Field(default="", max_length=2_000)


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    no: str
    type: str
    state: str
    priority: str
    sla_mode: str
    title: str
    description: str
    tried: str
    org_path: str
    customer_id: int | None
    phenomenon_id: int | None
    cause_id: int | None
    area: str
    cell_id: str
    product: str
    repeat_contacts: int
    dept_id: int | None
    result: str
    resolved_by: str
    satisfaction: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    version: int
    contact_ids: list[str] = []
    due_at: datetime | None = None
    actions: list[str] = []


class TicketPage(BaseModel):
    items: list[TicketRead]
    total: int
    page: int
    per_page: int
