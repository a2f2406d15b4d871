"""Sign-in safety and user management on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.core.audit import Actor
from hotline.core.errors import InvalidInput, RateLimited, StaleVersion
from hotline.org import schemas
from hotline.org import service as svc
from hotline.org.errors import LoginFailed, UnitNotFound
from hotline.org.models import AuthSession, OrgUnit, User

PW = "hotline-demo-2026"
KW = dict(session_hours=8, max_failures=5, lock_minutes=15, rate_per_minute=100)


def _login(db, clock, username: str, password: str = PW, ip: str = "127.0.0.9", **kw):  # type: ignore[no-untyped-def]
    return svc.login(db_session=db, username=username, password=password, ip=ip, now=clock.now(), **{**KW, **kw})


def test_same_answer_for_unknown_user_and_wrong_password(db, seeded, clock) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LoginFailed) as unknown:
        _login(db, clock, "nobody-here")
    with pytest.raises(LoginFailed) as wrong:
        _login(db, clock, "agent", "wrong-password")
    assert unknown.value.to_dict() == wrong.value.to_dict()


def test_lockout_after_five_failures(db, seeded, clock) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        with pytest.raises(LoginFailed):
            _login(db, clock, "trainer", "bad")
    with pytest.raises(LoginFailed):  # locked: even the right password fails, with the same answer
        _login(db, clock, "trainer")
    clock.advance(minutes=16)
    user, token, csrf = _login(db, clock, "trainer")
    assert user.username == "trainer" and token and csrf


def test_rate_limit_per_address(db, seeded, clock) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        with pytest.raises(LoginFailed):
            _login(db, clock, "ghost", "x", ip="10.9.9.9", rate_per_minute=3)
    with pytest.raises(RateLimited):
        _login(db, clock, "agent", ip="10.9.9.9", rate_per_minute=3)


def _admin(db):  # type: ignore[no-untyped-def]
    admin = db.execute(select(User).where(User.username == "admin")).scalar_one()
    return svc.principal_for(db_session=db, user=admin), Actor(admin.id, "admin")


def test_role_change_revokes_sessions_and_needs_current_version(db, seeded, clock) -> None:  # type: ignore[no-untyped-def]
    user, token, _ = _login(db, clock, "qa")
    principal, actor = _admin(db)
    with pytest.raises(StaleVersion):
        svc.update_user(db_session=db, principal=principal, actor=actor, now=clock.now(), user_id=user.id,
                        data=schemas.UserUpdate(version=user.version + 5, roles=["trainer"]))
    svc.update_user(db_session=db, principal=principal, actor=actor, now=clock.now(), user_id=user.id,
                    data=schemas.UserUpdate(version=user.version, roles=["qa_inspector", "trainer"]))
    assert svc.session_for_token(db_session=db, token=token, now=clock.now()) is None
    assert db.execute(select(AuthSession).where(AuthSession.user_id == user.id,
                                                AuthSession.revoked_at.is_(None))).first() is None


def test_admin_cannot_create_users_in_another_province(db, seeded, clock) -> None:  # type: ignore[no-untyped-def]
    principal, actor = _admin(db)
    fj = db.execute(select(OrgUnit).where(OrgUnit.code == "FJ")).scalar_one()
    data = schemas.UserCreate(username="intruder", display_name="x", password="long-enough-1", unit_id=fj.id,
                              roles=["agent"])
    with pytest.raises(UnitNotFound):
        svc.create_user(db_session=db, principal=principal, actor=actor, now=clock.now(), data=data)


def test_unknown_role_is_rejected_by_name() -> None:
    with pytest.raises(ValueError, match="roles"):
        schemas.UserCreate(username="abc", display_name="x", password="long-enough-1", unit_id=1, roles=["wizard"])


def test_province_may_only_tighten_hq_standards(db, seeded, clock) -> None:  # type: ignore[no-untyped-def]
    principal, actor = _admin(db)
    hb = db.execute(select(OrgUnit).where(OrgUnit.code == "HB")).scalar_one()
    assert svc.effective_standard(db_session=db, unit=hb, key="sl.vip") == {"threshold_s": 15, "target": 0.85}
    with pytest.raises(InvalidInput) as exc:
        svc.set_standard(db_session=db, principal=principal, actor=actor, now=clock.now(), unit_id=hb.id,
                         key="sl.vip", value={"threshold_s": 15, "target": 0.80})
    assert exc.value.details["field"] == "target"
    svc.set_standard(db_session=db, principal=principal, actor=actor, now=clock.now(), unit_id=hb.id,
                     key="sl.vip", value={"threshold_s": 10, "target": 0.9})
    team = db.execute(select(OrgUnit).where(OrgUnit.kind == "team", OrgUnit.path.startswith(hb.path))).scalars().first()
    assert svc.effective_standard(db_session=db, unit=team, key="sl.vip") == {"threshold_s": 10, "target": 0.9}
    fj = db.execute(select(OrgUnit).where(OrgUnit.code == "FJ")).scalar_one()
    assert svc.effective_standard(db_session=db, unit=fj, key="sl.regular") == {"threshold_s": 15, "target": 0.9}
