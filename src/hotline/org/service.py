"""Organisation services: the tree, users, sign-in sessions, standards."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline.core import audit
from hotline.core.auth import Principal, Resource, allowed, visible_prefix
from hotline.core.errors import Forbidden, InvalidInput, RateLimited, StaleVersion
from hotline.core.events import Event, emit
from hotline.core.security import hash_password, new_token, token_digest, verify_password
from hotline.org import schemas
from hotline.org.errors import LoginFailed, UnitNotFound, UsernameTaken, UserNotFound
from hotline.org.models import AuthSession, LoginAttempt, OrgUnit, Standard, User, UserRole, UserSkill


# ---------------------------------------------------------------- units
def get_unit(*, db_session: Session, unit_id: int, principal: Principal | None = None,
             permission: str = "org.read") -> OrgUnit:
    """Get a unit by id (within the principal's scope for that permission, when given) or raise."""
    unit = db_session.get(OrgUnit, unit_id)
    if unit is None or (principal is not None and not allowed(principal, permission, Resource(unit.path))):
        raise UnitNotFound()
    return unit


def unit_by_code(*, db_session: Session, code: str) -> OrgUnit | None:
    """A unit by its code (HB, HB-WH-T01 ...), unscoped: for seeding and the command line."""
    return db_session.execute(select(OrgUnit).where(OrgUnit.code == code)).scalar_one_or_none()


def ancestors(*, db_session: Session, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors, root first, the unit itself last."""
    ids = [int(x) for x in unit.path.strip("/").split("/") if x]
    units = {u.id: u for u in db_session.execute(select(OrgUnit).where(OrgUnit.id.in_(ids))).scalars()}
    return [units[i] for i in ids if i in units]


def province_of(*, db_session: Session, unit: OrgUnit) -> OrgUnit | None:
    """The province a unit belongs to (None for HQ)."""
    return next((u for u in ancestors(db_session=db_session, unit=unit) if u.kind == "province"), None)


def create_unit(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime,
                data: schemas.UnitCreate) -> OrgUnit:
    """Add a unit under a parent the principal may manage."""
    parent = get_unit(db_session=db_session, unit_id=data.parent_id, principal=principal, permission="org.manage")
    order = {"hq": 0, "province": 1, "region": 2, "team": 3, "department": 2}
    if order[data.kind] != order[parent.kind] + 1 and not (data.kind == "department" and parent.kind == "province"):
        raise InvalidInput("kind", f"a {data.kind} cannot be placed under a {parent.kind}")
    if db_session.execute(select(OrgUnit.id).where(OrgUnit.code == data.code)).first():
        raise InvalidInput("code", "this code is already in use")
    unit = OrgUnit(kind=data.kind, code=data.code, name=data.name, name_en=data.name_en, parent_id=parent.id)
    db_session.add(unit)
    db_session.flush()
    unit.path = f"{parent.path}{unit.id}/"
    audit.record(db_session, actor=actor, at=now, action="org.unit.create", target_type="org_unit",
                 target_id=unit.id, org_path=unit.path, detail={"name": unit.name, "kind": unit.kind})
    return unit


def list_units(*, db_session: Session, principal: Principal) -> list[OrgUnit]:
    """Units the principal may see, in tree order."""
    prefix = visible_prefix(principal, "org.read")
    if prefix is None:
        return []
    q = select(OrgUnit).where(OrgUnit.path.startswith(prefix)).order_by(OrgUnit.path)
    return list(db_session.execute(q).scalars())


def headcount_by_unit(*, db_session: Session, units: list[OrgUnit]) -> dict[int, int]:
    """Active users per unit, counting everyone below the unit too."""
    rows = db_session.execute(select(OrgUnit.path, func.count(User.id)).join(User, User.unit_id == OrgUnit.id)
                              .where(User.active.is_(True)).group_by(OrgUnit.path)).all()
    return {u.id: sum(n for path, n in rows if path.startswith(u.path)) for u in units}


# ---------------------------------------------------------------- principals and sign-in
def principal_for(*, db_session: Session, user: User) -> Principal:
    """Build the policy's view of a user from their place in the tree and their roles."""
    chain = ancestors(db_session=db_session, unit=user.unit)
    by_kind = {u.kind: u for u in chain}
    province = by_kind.get("province")
    team = by_kind.get("team") or by_kind.get("department")
    return Principal.build(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles={r.role for r in user.roles},
        unit_path=user.unit.path,
        team_path=team.path if team else None,
        region_path=by_kind["region"].path if "region" in by_kind else None,
        province_path=province.path if province else None,
        province_id=province.id if province else None,
        locale=user.locale,
    )


def login(*, db_session: Session, username: str, password: str, ip: str, now: datetime,
          session_hours: int, max_failures: int, lock_minutes: int, rate_per_minute: int) -> tuple[User, str, str]:
    """Check credentials; return (user, session token, csrf token). One answer for every failure."""
    recent = db_session.execute(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.ip == ip, LoginAttempt.ok.is_(False), LoginAttempt.at >= now - timedelta(minutes=1))
    ).scalar_one()
    if recent >= rate_per_minute:
        raise RateLimited()
    user = db_session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    if user is None or not ok or locked or not user.active:
        db_session.add(LoginAttempt(ip=ip, username=username[:40], at=now, ok=False))
        if user is not None and not ok:
            user.failed_logins += 1
            if user.failed_logins >= max_failures:
                user.locked_until = now + timedelta(minutes=lock_minutes)
                user.failed_logins = 0
                audit.record(db_session, actor=audit.Actor(None, "system", ip), at=now, action="auth.lock",
                             target_type="user", target_id=user.id, org_path=user.unit.path)
        db_session.commit()
        raise LoginFailed()
    user.failed_logins = 0
    user.locked_until = None
    token, csrf = new_token(), new_token()
    db_session.add(AuthSession(token_hash=token_digest(token), user_id=user.id, csrf_token=csrf, created_at=now,
                               expires_at=now + timedelta(hours=session_hours), ip=ip))
    db_session.add(LoginAttempt(ip=ip, username=username[:40], at=now, ok=True))
    audit.record(db_session, actor=audit.Actor(user.id, user.username, ip), at=now, action="auth.login",
                 target_type="user", target_id=user.id, org_path=user.unit.path)
    return user, token, csrf


def session_for_token(*, db_session: Session, token: str, now: datetime) -> tuple[User, AuthSession] | None:
    """The live session behind a token, if any."""
    row = db_session.execute(
        select(AuthSession).where(AuthSession.token_hash == token_digest(token))).scalar_one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = db_session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row


@dataclass(frozen=True)
class SignedIn:
    """What a request needs of its session: the principal and the CSRF token, valid until `expires_at`."""

    principal: Principal
    csrf_token: str
    expires_at: datetime
    cached_at: datetime


SESSIONS_REVOKED = "auth.sessions_revoked"  # an internal event: no role holds its permission, no client sees it


class SessionCache:
    """Signed-in sessions by token digest, kept for `ttl_s` seconds so that a request does not pay five queries
    to find who sent it. Revocations (logout, password, roles, unit, deactivation) publish `SESSIONS_REVOKED`
    after their commit; every process's cache drops that user at once (the Redis hub carries it between
    processes), and the TTL bounds what a lost message could leave behind."""

    def __init__(self, ttl_s: float = 30.0, max_entries: int = 20_000) -> None:
        self.ttl = timedelta(seconds=ttl_s)
        self.max_entries = max_entries
        self._items: OrderedDict[str, SignedIn] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str, now: datetime) -> SignedIn | None:
        with self._lock:
            hit = self._items.get(digest)
            if hit is not None and (now >= hit.expires_at or now - hit.cached_at >= self.ttl or now < hit.cached_at):
                del self._items[digest]
                return None
            return hit

    def put(self, digest: str, signed_in: SignedIn) -> None:
        if not self.ttl:
            return
        with self._lock:
            self._items[digest] = signed_in
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def on_event(self, ev: Event) -> None:
        """Hub listener: forget the revoked sessions."""
        if ev.type != SESSIONS_REVOKED:
            return
        user_id, digest = ev.data.get("user_id"), ev.data.get("token_digest")
        with self._lock:
            for key in [k for k, v in self._items.items() if k == digest or v.principal.user_id == user_id]:
                del self._items[key]


def signed_in(*, db_session: Session, token: str, now: datetime, cache: SessionCache | None = None) -> SignedIn | None:
    """Who sent this token: from the cache, else from the database (and then cached)."""
    digest = token_digest(token)
    if cache is not None and (hit := cache.get(digest, now)) is not None:
        return hit
    found = session_for_token(db_session=db_session, token=token, now=now)
    if found is None:
        return None
    user, row = found
    result = SignedIn(principal_for(db_session=db_session, user=user), row.csrf_token, row.expires_at, now)
    if cache is not None:
        cache.put(digest, result)
    return result


def _revoked(db_session: Session, *, user_id: int | None = None, token_digest: str | None = None) -> None:
    emit(db_session, Event(SESSIONS_REVOKED, {"user_id": user_id, "token_digest": token_digest},
                           permission=SESSIONS_REVOKED))


def logout(*, db_session: Session, token: str, now: datetime) -> None:
    """Revoke one session."""
    digest = token_digest(token)
    db_session.execute(update(AuthSession).where(AuthSession.token_hash == digest).values(revoked_at=now))
    _revoked(db_session, token_digest=digest)


def revoke_sessions(*, db_session: Session, user_id: int, now: datetime) -> None:
    """Revoke every session of a user (password or role change)."""
    db_session.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                       .values(revoked_at=now))
    _revoked(db_session, user_id=user_id)


def change_password(*, db_session: Session, user: User, actor: audit.Actor, now: datetime,
                    data: schemas.PasswordChange) -> None:
    """A user changes their own password; every session of theirs ends."""
    if not verify_password(user.password_hash, data.old_password):
        raise InvalidInput("old_password", "the current password is wrong")
    user.password_hash = hash_password(data.new_password)
    user.must_change_password = False
    revoke_sessions(db_session=db_session, user_id=user.id, now=now)
    audit.record(db_session, actor=actor, at=now, action="auth.password_change", target_type="user",
                 target_id=user.id, org_path=user.unit.path)


# ---------------------------------------------------------------- users
def user_resource(user: User) -> Resource:
    return Resource(user.unit.path, owner_id=user.id)


def get_user(*, db_session: Session, principal: Principal, user_id: int, permission: str = "users.read") -> User:
    """A user the principal may see (others answer 404)."""
    user = db_session.get(User, user_id)
    if user is None or not allowed(principal, permission, user_resource(user)):
        raise UserNotFound()
    return user


def list_users(*, db_session: Session, principal: Principal, q: str = "", unit_id: int | None = None,
               role: str = "", limit: int = 50, offset: int = 0) -> tuple[list[User], int]:
    """Users in the principal's scope, filtered."""
    prefix = visible_prefix(principal, "users.read")
    if prefix is None:
        return [], 0
    stmt = select(User).join(OrgUnit, User.unit_id == OrgUnit.id).where(OrgUnit.path.startswith(prefix))
    if principal.grants.get("users.read") == "self":
        stmt = stmt.where(User.id == principal.user_id)
    if q:
        like = f"%{q}%"
        stmt = stmt.where((User.username.ilike(like)) | (User.display_name.ilike(like)))
    if unit_id:
        unit = db_session.get(OrgUnit, unit_id)
        stmt = stmt.where(OrgUnit.path.startswith(unit.path if unit else "-"))
    if role:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    total = db_session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db_session.execute(stmt.order_by(User.id).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def to_read(user: User) -> schemas.UserRead:
    return schemas.UserRead(
        id=user.id, username=user.username, display_name=user.display_name, unit_id=user.unit_id,
        unit_name=user.unit.name, roles=sorted(r.role for r in user.roles),
        skills=[schemas.SkillIn(skill=s.skill, level=s.level) for s in user.skills], tier=user.tier,
        star_level=user.star_level, cert_level=user.cert_level, career_stage=user.career_stage,
        career_track=user.career_track, active=user.active, version=user.version)


def create_user(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime,
                data: schemas.UserCreate, password_hash: str | None = None) -> User:
    """Create a user in a unit the principal manages."""
    unit = get_unit(db_session=db_session, unit_id=data.unit_id, principal=principal, permission="users.manage")
    if db_session.execute(select(User.id).where(User.username == data.username)).first():
        raise UsernameTaken()
    user = User(
        username=data.username, display_name=data.display_name,
        password_hash=password_hash or hash_password(data.password), unit_id=unit.id, unit=unit,
        tier=data.tier, star_level=data.star_level, cert_level=data.cert_level, career_stage=data.career_stage,
        career_track=data.career_track, must_change_password=password_hash is None, created_at=now)
    user.roles = [UserRole(role=r) for r in sorted(set(data.roles))]
    user.skills = [UserSkill(skill=s.skill, level=s.level) for s in data.skills]
    db_session.add(user)
    db_session.flush()
    audit.record(db_session, actor=actor, at=now, action="users.create", target_type="user", target_id=user.id,
                 org_path=unit.path, detail={"username": user.username, "roles": sorted(data.roles)})
    return user


def update_user(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, user_id: int,
                data: schemas.UserUpdate) -> User:
    """Change a user; the version read must still be current. Role changes end their sessions."""
    user = get_user(db_session=db_session, principal=principal, user_id=user_id, permission="users.manage")
    if data.version != user.version:
        raise StaleVersion(current_version=user.version)
    changes: dict[str, Any] = {}
    for field in ("display_name", "tier", "star_level", "cert_level", "career_stage", "career_track", "active"):
        value = getattr(data, field)
        if value is not None and value != getattr(user, field):
            changes[field] = [getattr(user, field), value]
            setattr(user, field, value)
    if data.unit_id is not None and data.unit_id != user.unit_id:
        unit = get_unit(db_session=db_session, unit_id=data.unit_id, principal=principal, permission="users.manage")
        changes["unit_id"] = [user.unit_id, unit.id]
        user.unit_id, user.unit = unit.id, unit
        _revoked(db_session, user_id=user.id)  # sessions stay valid; cached principals carry the old unit
    if data.roles is not None and set(data.roles) != {r.role for r in user.roles}:
        if user.id == principal.user_id:
            raise Forbidden("You cannot change your own roles")
        changes["roles"] = [sorted(r.role for r in user.roles), sorted(set(data.roles))]
        user.roles = [UserRole(role=r) for r in sorted(set(data.roles))]
        revoke_sessions(db_session=db_session, user_id=user.id, now=now)
    if data.skills is not None:
        changes["skills"] = [{s.skill: s.level for s in data.skills}]
        user.skills = [UserSkill(skill=s.skill, level=s.level) for s in data.skills]
    if data.active is False:
        revoke_sessions(db_session=db_session, user_id=user.id, now=now)
    db_session.flush()
    if changes:
        audit.record(db_session, actor=actor, at=now, action="users.update", target_type="user", target_id=user.id,
                     org_path=user.unit.path, detail=changes)
    return user


# ---------------------------------------------------------------- standards (HQ sets, provinces inherit/tighten)
def effective_standard(*, db_session: Session, unit: OrgUnit, key: str) -> dict[str, Any] | None:
    """The nearest definition of a standard on the way from the unit up to HQ."""
    chain = ancestors(db_session=db_session, unit=unit)
    rows = {s.unit_id: s.value for s in db_session.execute(
        select(Standard).where(Standard.key == key, Standard.unit_id.in_([u.id for u in chain]))).scalars()}
    for u in reversed(chain):
        if u.id in rows:
            return rows[u.id]
    return None


def set_standard(*, db_session: Session, principal: Principal, actor: audit.Actor, now: datetime, unit_id: int,
                 key: str, value: dict[str, Any]) -> Standard:
    """Define a standard at a unit. A province may tighten an HQ target (higher target, shorter threshold)."""
    unit = get_unit(db_session=db_session, unit_id=unit_id, principal=principal, permission="standards.manage")
    parent = db_session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    inherited = effective_standard(db_session=db_session, unit=parent, key=key) if parent else None
    if inherited:
        for field, looser in (("target", lambda new, old: new < old), ("threshold_s", lambda new, old: new > old),
                              ("max", lambda new, old: new > old)):
            if field in value and field in inherited and looser(value[field], inherited[field]):
                raise InvalidInput(field, f"may only tighten the inherited {field} ({inherited[field]})")
    row = db_session.execute(select(Standard).where(Standard.unit_id == unit.id, Standard.key == key)).scalar_one_or_none()
    if row is None:
        row = Standard(unit_id=unit.id, key=key, value=value)
        db_session.add(row)
    else:
        row.value = value
    db_session.flush()
    audit.record(db_session, actor=actor, at=now, action="standards.set", target_type="standard",
                 target_id=f"{unit.id}:{key}", org_path=unit.path, detail=value)
    return row
