"""Work-order tables: orders, classification trees, steps with SLA timers, history, links, callbacks,
suspensions, in-app notifications and the SMS outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.core.db import Base


class TicketCategory(Base):
    """A node of an editable 3-level tree: phenomenon (障碍现象) or cause (销障原因)."""

    __tablename__ = "ticket_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree: Mapped[str] = mapped_column(String(16))  # phenomenon / cause
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_categories.id"))
    level: Mapped[int]  # 1..3
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    sort: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __table_args__ = (UniqueConstraint("tree", "code", name="uq_ticket_categories_tree_code"),)
    __mapper_args__ = {"version_id_col": version}


class Ticket(Base):
    """A work order (工单)."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    no: Mapped[str] = mapped_column(String(24), unique=True)  # GD + local date + sequence
    type: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    prev_state: Mapped[str | None] = mapped_column(String(16))  # held while suspended
    priority: Mapped[str] = mapped_column(String(8))
    sla_mode: Mapped[str] = mapped_column(String(8), default="business")  # business / 24x7
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tried: Mapped[str] = mapped_column(Text, default="")  # what the front line / expert tried
    org_path: Mapped[str] = mapped_column(String(120), index=True)  # the owning centre unit
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    phenomenon_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_categories.id"))
    cause_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_categories.id"))
    area: Mapped[str] = mapped_column(String(40), default="", index=True)
    cell_id: Mapped[str] = mapped_column(String(40), default="")  # cell / site (基站)
    product: Mapped[str] = mapped_column(String(40), default="")
    repeat_contacts: Mapped[int] = mapped_column(default=0)
    dept_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)  # current department
    result: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str] = mapped_column(String(16), default="")  # frontline / expert / department
    satisfaction: Mapped[str] = mapped_column(String(24), default="")
    created_by: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    contacts: Mapped[list[TicketContact]] = relationship(lazy="selectin", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class TicketContact(Base):
    """A contact (call, chat...) linked to the order; the contact id is a plain string for now."""

    __tablename__ = "ticket_contacts"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class TicketStep(Base):
    """One step of the loop held by someone, with its time limit: front line, expert, a department, callback."""

    __tablename__ = "ticket_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # frontline / expert / department / callback
    dept_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    started_at: Mapped[datetime]
    limit_seconds: Mapped[int]
    sla_mode: Mapped[str] = mapped_column(String(8))
    due_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), default="")  # replied / returned / redispatched / ...
    note: Mapped[str] = mapped_column(Text, default="")
    business_seconds: Mapped[int | None]  # time used, on the calendar, suspensions excluded
    on_time: Mapped[bool | None]
    overdue: Mapped[bool] = mapped_column(default=False)  # 超时: counts against the department
    escalation_level: Mapped[int] = mapped_column(default=0)


class TicketTimer(Base):
    """An SLA deadline row; the poller fires each exactly once (fired_at), or it is cancelled."""

    __tablename__ = "ticket_timers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("ticket_steps.id", ondelete="CASCADE"), index=True)
    level: Mapped[int]
    audience: Mapped[str] = mapped_column(String(24))
    fire_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    fired_by: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index("ix_ticket_timers_pending", "fired_at", "cancelled_at", "fire_at"),)


class TicketHistory(Base):
    """Every change of an order: who, when, what changed (R-TKT-6)."""

    __tablename__ = "ticket_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16), default="")
    to_state: Mapped[str] = mapped_column(String(16), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # field -> [old, new]
    note: Mapped[str] = mapped_column(Text, default="")


class TicketLink(Base):
    """A complaint linked to an order it spawned (一点投诉、全网联动、集中反馈、持续跟踪)."""

    __tablename__ = "ticket_links"

    parent_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), default="network_linkage")


class TicketCallback(Base):
    """A callback (回访) to the customer and the satisfaction recorded."""

    __tablename__ = "ticket_callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    agent_id: Mapped[int | None]
    satisfaction: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")


class TicketSuspension(Base):
    """A legitimate wait (customer not reachable...) during which the step's clock stops."""

    __tablename__ = "ticket_suspensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_steps.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    by_id: Mapped[int | None]


class TicketNotification(Base):
    """An in-app notification, addressed to a user or to a role within an org unit."""

    __tablename__ = "ticket_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    audience: Mapped[str] = mapped_column(String(24), default="")  # role, e.g. team_leader
    kind: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class SmsOutbox(Base):
    """The built-in SMS outbox: messages to customers, sent by a real gateway adapter or read in the demo."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    to_number: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default="queued")
