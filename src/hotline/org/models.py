"""Organisation tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.core.db import Base

UNIT_KINDS = ("hq", "province", "region", "team", "department")


class OrgUnit(Base):
    """A node of the organisation tree: HQ → province → region → team; departments sit under a province."""

    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    path: Mapped[str] = mapped_column(String(120), default="/", index=True)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class User(Base):
    """A person who signs in: agent, team leader, QA, back-office member, manager, HQ analyst..."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    employee_no: Mapped[str] = mapped_column(String(20), default="")
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    active: Mapped[bool] = mapped_column(default=True)
    tier: Mapped[str] = mapped_column(String(16), default="")  # queue tier: A, A+, B, expert
    star_level: Mapped[int] = mapped_column(default=1)  # 1–5 星级
    cert_level: Mapped[int] = mapped_column(default=1)  # 1–5 客服代表资格认证
    career_stage: Mapped[str] = mapped_column(String(16), default="new")  # new / growing / mature
    career_track: Mapped[str] = mapped_column(String(40), default="junior")
    must_change_password: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    unit: Mapped[OrgUnit] = relationship(lazy="joined")
    roles: Mapped[list["UserRole"]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    skills: Mapped[list["UserSkill"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __mapper_args__ = {"version_id_col": version}


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class UserSkill(Base):
    """A skill (usually a queue or business code) with a level 1–5."""

    __tablename__ = "user_skills"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[int] = mapped_column(default=1)


class AuthSession(Base):
    """A signed-in browser or API client. Revoked on logout, password change or role change."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str] = mapped_column(String(64), default="")


class LoginAttempt(Base):
    """Failed sign-ins by source address, for rate limiting."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ip: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (Index("ix_login_attempts_ip_at", "ip", "at"),)


class Shift(Base):
    """A named shift of a province (早班 08:00–16:00 ...)."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    name: Mapped[str] = mapped_column(String(40))
    start: Mapped[str] = mapped_column(String(5))  # local HH:MM
    end: Mapped[str] = mapped_column(String(5))


class Standard(Base):
    """A standard set at HQ (KPI targets, national IVR level, catalogue) that provinces inherit and may tighten."""

    __tablename__ = "standards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    key: Mapped[str] = mapped_column(String(80))
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)

    __table_args__ = (UniqueConstraint("unit_id", "key", name="uq_standards_unit_key"),)
    __mapper_args__ = {"version_id_col": version}
