"""Contacts tables: interactions of every channel, queues, business types, IVR menus, agent states, offers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.core.db import Base

CHANNELS = ("voice", "chat", "sms", "self_service")
CONTACT_STATES = ("ivr", "queued", "offered", "talking", "hold", "acw", "ended")
OUTCOMES = ("self_served", "overflowed", "transferred", "answered", "abandoned")
AGENT_STATES = ("logged_out", "ready", "offered", "talking", "hold", "acw", "not_ready")
OFFER_STATUSES = ("open", "accepted", "rejected", "timed_out", "cancelled")


class ContactQueue(Base):
    """A routing queue of a province (its SL threshold/target come from the org standards)."""

    __tablename__ = "contact_queues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # "HB.regular": the routing engine's queue id
    code: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    org_path: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(80))
    tier: Mapped[str] = mapped_column(String(16), default="")
    priority: Mapped[int] = mapped_column(default=0)
    sl_threshold_s: Mapped[float] = mapped_column(Float, default=20.0)
    sl_target: Mapped[float] = mapped_column(Float, default=0.8)
    short_abandon_s: Mapped[float] = mapped_column(Float, default=5.0)
    abandon_cap: Mapped[float | None] = mapped_column(Float)
    overflow: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"after_s": 90, "to_queue": "regular"}]
    active: Mapped[bool] = mapped_column(default=True)


class BusinessType(Base):
    """A business type (话费查询, 套餐变更, 投诉...) with its grade, typical talk time and FCR target."""

    __tablename__ = "contact_business_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    complexity: Mapped[int] = mapped_column(default=1)  # 1 simple .. 5 hardest
    typical_talk_s: Mapped[int] = mapped_column(default=180)
    fcr_target: Mapped[float] = mapped_column(Float, default=0.85)
    queue_code: Mapped[str] = mapped_column(String(30))


class IvrMenu(Base):
    """One version of an IVR menu tree. HQ owns the national first level ("root"); provinces own sub-menus."""

    __tablename__ = "ivr_menus"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    name: Mapped[str] = mapped_column(String(40))  # "root" (national) or a sub-menu name
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | published | retired
    tree: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("unit_id", "name", "version", name="uq_ivr_menus_unit_name_version"),)


class Contact(Base):
    """One interaction, any channel: every phase timestamp, outcome, wrap-up, IVR path and linked work orders."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(12), index=True)
    caller: Mapped[str] = mapped_column(String(32), default="")
    caller_token_hash: Mapped[str] = mapped_column(String(64), default="")
    province_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(120), default="/")  # the province the contact belongs to
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    segment: Mapped[str] = mapped_column(String(16), default="regular")
    business_type: Mapped[str] = mapped_column(String(30), default="")
    queue: Mapped[str] = mapped_column(String(40), default="")  # first queue entered (engine key)
    current_queue: Mapped[str] = mapped_column(String(40), default="")
    overflowed_to_queue: Mapped[str] = mapped_column(String(40), default="")
    transferred_to_queue: Mapped[str] = mapped_column(String(40), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))  # the leg this one was transferred from
    priority: Mapped[int] = mapped_column(default=0)
    seq: Mapped[int] = mapped_column(default=0)  # routing order, kept across restarts
    stage: Mapped[int] = mapped_column(default=0)
    entered_at: Mapped[datetime | None]  # entered the current queue stage (overflow clock)
    ivr_node: Mapped[str] = mapped_column(String(60), default="")
    ivr_path: Mapped[list[Any]] = mapped_column(JSON, default=list)
    arrived_at: Mapped[datetime]
    ivr_end_at: Mapped[datetime | None]
    queued_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    hold_started_at: Mapped[datetime | None]
    hold_s: Mapped[float] = mapped_column(Float, default=0.0)
    transferred_at: Mapped[datetime | None]
    talk_end_at: Mapped[datetime | None]
    acw_end_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    abandoned_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16), default="")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    agent_path: Mapped[str] = mapped_column(String(120), default="")
    wrap_up_code: Mapped[str] = mapped_column(String(30), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    work_orders: Mapped[list[Any]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)

    __table_args__ = (Index("ix_contacts_queued_at", "queued_at"),)


class ContactMessage(Base):
    """A line of the conversation (chat, or a voice call talked by text in the softphone)."""

    __tablename__ = "contact_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    sender: Mapped[str] = mapped_column(String(12))  # customer | agent | system
    text: Mapped[str] = mapped_column(String(2000))


class AgentState(Base):
    """An agent's current state (one row per agent who ever logged in to the desktop)."""

    __tablename__ = "agent_states"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    org_path: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(12), default="logged_out")
    reason: Mapped[str] = mapped_column(String(20), default="")
    since: Mapped[datetime]
    idle_since: Mapped[datetime | None]
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    pending_reason: Mapped[str] = mapped_column(String(20), default="")  # not-ready asked for during a contact
    simulated: Mapped[bool] = mapped_column(default=False)


class AgentStateLog(Base):
    """Every agent state change, with its reason: the segments adherence and KPIs are computed from."""

    __tablename__ = "agent_state_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_path: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(20), default="")
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))

    __table_args__ = (Index("ix_agent_state_log_started_at", "started_at"),)


class ContactOffer(Base):
    """An offer of a contact to an agent: its id is the routing engine's offer id; the deadline is a row."""

    __tablename__ = "contact_offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    offered_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    closed_at: Mapped[datetime | None]
