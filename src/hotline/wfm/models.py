"""Workforce tables: published schedules (one per org unit, local day and queue) and their activities."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.core.db import Base

ACTIVITIES = ("shift", "break", "meal")


class WfmSchedule(Base):
    """The published plan of one unit, local day and queue: the per-interval forecast, requirement and
    coverage it was scheduled against. `version` goes up by one at every re-publication."""

    __tablename__ = "wfm_schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(120), index=True)  # the unit's path (scope filter)
    day: Mapped[date] = mapped_column(Date)
    queue: Mapped[str] = mapped_column(String(30))  # queue code ("regular")
    interval_min: Mapped[int] = mapped_column(default=30)
    forecast_calls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    forecast_aht_s: Mapped[list[Any]] = mapped_column(JSON, default=list)
    required: Mapped[list[Any]] = mapped_column(JSON, default=list)
    scheduled: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="")  # the solver's status
    version: Mapped[int] = mapped_column(default=1)
    published_at: Mapped[datetime]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    activities: Mapped[list[WfmActivity]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="WfmActivity.start_at"
    )

    __table_args__ = (UniqueConstraint("unit_id", "day", "queue", name="uq_wfm_schedules_unit_day_queue"),)


class WfmActivity(Base):
    """One planned activity of an agent: a shift, or inside it a break or meal, in UTC."""

    __tablename__ = "wfm_schedule_activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("wfm_schedules.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    org_path: Mapped[str] = mapped_column(String(120))  # the agent's unit path (scope filter)
    activity: Mapped[str] = mapped_column(String(12))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    queue: Mapped[str] = mapped_column(String(30))

    __table_args__ = (Index("ix_wfm_schedule_activities_user_start", "user_id", "start_at"),)
