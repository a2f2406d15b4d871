"""Organisation request and response shapes."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.core.auth import ROLE_NAMES

DbId = Annotated[int, Field(ge=1, le=2_147_483_647)]


def check_roles(roles: list[str] | None) -> list[str] | None:
    """Every role must be a declared one."""
    bad = [r for r in roles or [] if r not in ROLE_NAMES]
    if bad:
        raise ValueError(f"unknown role(s): {', '.join(bad)}")
    return roles


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    code: str
    name: str
    name_en: str
    parent_id: int | None
    path: str
    version: int


class UnitCreate(BaseModel):
    kind: str = Field(pattern="^(province|region|team|department)$")
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    name: str = Field(min_length=1, max_length=80)
    name_en: str = Field("", max_length=80)
    parent_id: DbId


class SkillIn(BaseModel):
    skill: str = Field(min_length=1, max_length=40)
    level: int = Field(ge=1, le=5)


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    unit_id: int
    unit_name: str
    roles: list[str]
    skills: list[SkillIn]
    tier: str
    star_level: int
    cert_level: int
    career_stage: str
    career_track: str
    active: bool
    version: int


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")
    display_name: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=8, max_length=200)
    unit_id: DbId
    roles: list[str] = Field(min_length=1)
    skills: list[SkillIn] = []
    tier: str = Field("", max_length=16)
    star_level: int = Field(1, ge=1, le=5)
    cert_level: int = Field(1, ge=1, le=5)
    career_stage: str = Field("new", pattern="^(new|growing|mature)$")
    career_track: str = Field("junior", max_length=40)

    _roles = field_validator("roles")(lambda v: check_roles(v))


class UserUpdate(BaseModel):
    _roles = field_validator("roles")(lambda v: check_roles(v))

    version: int = Field(ge=0, le=2_147_483_647)
    display_name: str | None = Field(None, min_length=1, max_length=40)
    unit_id: DbId | None = None
    roles: list[str] | None = None
    skills: list[SkillIn] | None = None
    tier: str | None = Field(None, max_length=16)
    star_level: int | None = Field(None, ge=1, le=5)
    cert_level: int | None = Field(None, ge=1, le=5)
    career_stage: str | None = Field(None, pattern="^(new|growing|mature)$")
    career_track: str | None = Field(None, max_length=40)
    active: bool | None = None


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=200)


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=8, max_length=200)
