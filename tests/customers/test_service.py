"""Customer services on a real database: scope, masking, verification, BSS operations."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hotline.core.models import AuditEntry
from hotline.core.security import find_unmasked
from hotline.customers import schemas
from hotline.customers import service as svc
from hotline.customers.bss import BuiltinBss, first_of_next_month
from hotline.customers.errors import CustomerNotFound, InitialPassword, VerificationRequired
from hotline.customers.models import BssOperation, Subscription, Verification
from hotline.core.clock import to_local
from hotline.core.errors import Forbidden, InvalidInput

PIN = "135790"


def test_other_province_answers_not_found(db, who, customer_in, clock) -> None:  # type: ignore[no-untyped-def]
    agent, _ = who("agent")
    fj = customer_in("FJ")
    with pytest.raises(CustomerNotFound):
        svc.get(db_session=db, principal=agent, customer_id=fj.id)
    hq, _ = who("hq")
    with pytest.raises(CustomerNotFound):
        svc.get(db_session=db, principal=hq, customer_id=customer_in("HB").id)
    assert svc.search(db_session=db, principal=agent, q=fj.numbers[0].number) == []


def test_search_by_number_and_suffix(db, who, customer_in) -> None:  # type: ignore[no-untyped-def]
    agent, _ = who("agent")
    c = customer_in("HB")
    number = c.numbers[0].number
    assert [x.id for x in svc.search(db_session=db, principal=agent, q=number)] == [c.id]
    assert c.id in [x.id for x in svc.search(db_session=db, principal=agent, q=number[-6:])]
    assert c.id in [x.id for x in svc.search(db_session=db, principal=agent, q=c.name, limit=100)]


def test_360_is_masked(db, who, customer_in, clock) -> None:  # type: ignore[no-untyped-def]
    agent, _ = who("agent")
    c = customer_in("HB")
    view = svc.view_360(db_session=db, principal=agent, customer=c, now=clock.now())
    dumped = view.model_dump_json()
    assert find_unmasked(dumped) == []
    assert view.number.startswith(c.numbers[0].number[:3]) and "****" in view.number
    assert len(view.bills) == 6 and view.package is not None


def test_reveal_is_audited_and_needs_the_right(db, who, customer_in, clock) -> None:  # type: ignore[no-untyped-def]
    c = customer_in("HB")
    agent, agent_actor = who("agent")
    with pytest.raises(Forbidden):
        svc.reveal(db_session=db, principal=agent, actor=agent_actor, now=clock.now(), customer_id=c.id,
                   data=schemas.RevealIn(field="number", reason="callback"))
    tl, tl_actor = who("teamlead")
    value = svc.reveal(db_session=db, principal=tl, actor=tl_actor, now=clock.now(), customer_id=c.id,
                       data=schemas.RevealIn(field="id_number", reason="customer asked"))
    assert value == c.id_number
    row = db.execute(select(AuditEntry).where(AuditEntry.action == "customers.reveal",
                                              AuditEntry.target_id == str(c.id))).scalars().all()[-1]
    assert row.reason == "customer asked" and row.actor_name == "teamlead" and row.detail == {"field": "id_number"}


def test_five_wrong_tries_lock(db, who, customer_in, clock) -> None:  # type: ignore[no-untyped-def]
    agent, actor = who("agent")
    c = customer_in("HB", offset=1)
    results = [svc.verify(db_session=db, principal=agent, actor=actor, now=clock.advance(1), customer_id=c.id,
                          data=schemas.VerifyIn(password="000000")) for _ in range(5)]
    assert results == ["wrong"] * 4 + ["locked"]
    # even the right password is refused once locked
    assert svc.verify(db_session=db, principal=agent, actor=actor, now=clock.advance(1), customer_id=c.id,
                      data=schemas.VerifyIn(password=PIN)) == "locked"
    logged = db.execute(select(Verification.result).where(Verification.customer_id == c.id)).scalars().all()
    assert logged == ["wrong"] * 4 + ["locked", "locked"]


def test_initial_password_must_be_changed_before_handling(db, who, customer_in, clock) -> None:  # type: ignore[no-untyped-def]
    agent, actor = who("agent")
    c = customer_in("HB", initial=True)
    initial = c.id_number[-6:].upper().replace("X", "0")
    assert svc.verify(db_session=db, principal=agent, actor=actor, now=clock.now(), customer_id=c.id,
                      data=schemas.VerifyIn(password=initial)) == "must_change"
    with pytest.raises(InitialPassword):
        svc.do_bss(db_session=db, principal=agent, actor=actor, now=clock.now(), customer_id=c.id,
                   data=schemas.BssIn(operation="suspend"), bss=BuiltinBss(db))
    with pytest.raises(InvalidInput) as weak:
        svc.change_service_password(db_session=db, principal=agent, actor=actor, now=clock.now(), customer_id=c.id,
                                    data=schemas.PasswordChangeIn(old_password=initial, new_password="123456"))
    assert weak.value.details["field"] == "new_password"
    svc.change_service_password(db_session=db, principal=agent, actor=actor, now=clock.now(), customer_id=c.id,
                                data=schemas.PasswordChangeIn(old_password=initial, new_password="518273"))
    op, _ = svc.do_bss(db_session=db, principal=agent, actor=actor, now=clock.now(), customer_id=c.id,
                       data=schemas.BssIn(operation="suspend"), bss=BuiltinBss(db))
    assert op.ok and c.status == "suspended"


def _verified(db, who, customer_in, clock, offset: int = 2):  # type: ignore[no-untyped-def]
    agent, actor = who("agent")
    c = customer_in("HB", offset=offset)
    assert svc.verify(db_session=db, principal=agent, actor=actor, now=clock.now(), customer_id=c.id,
                      data=schemas.VerifyIn(password=PIN)) == "ok"
    return agent, actor, c


def test_bss_needs_verification(db, who, customer_in, clock) -> None:  # type: ignore[no-untyped-def]
    agent, actor = who("agent")
    c = customer_in("HB", offset=3)
    with pytest.raises(VerificationRequired):
        svc.do_bss(db_session=db, principal=agent, actor=actor, now=clock.now(), customer_id=c.id,
                   data=schemas.BssIn(operation="bills"), bss=BuiltinBss(db))
    # verification expires after 30 minutes
    agent, actor, c = _verified(db, who, customer_in, clock, offset=3)
    clock.advance(minutes=31)
    with pytest.raises(VerificationRequired):
        svc.do_bss(db_session=db, principal=agent, actor=actor, now=clock.now(), customer_id=c.id,
                   data=schemas.BssIn(operation="bills"), bss=BuiltinBss(db))


@pytest.mark.parametrize("when", ["now", "next_month"])
def test_change_package(db, who, customer_in, clock, when: str) -> None:  # type: ignore[no-untyped-def]
    agent, actor, c = _verified(db, who, customer_in, clock)
    current = db.execute(select(Subscription).where(Subscription.customer_id == c.id,
                                                    Subscription.effective_to.is_(None))).scalar_one()
    target = next(p for p in ("SZX-18", "SZX-38", "SZX-58", "QQT-88", "QQT-128", "DGDZ-28", "DGDZ-48")
                  if p != current.package.code and p.split("-")[0] == current.package.code.split("-")[0])
    op, out = svc.do_bss(db_session=db, principal=agent, actor=actor, now=clock.now(), customer_id=c.id,
                         data=schemas.BssIn(operation="change_package", package_code=target, when=when),
                         bss=BuiltinBss(db))
    today = to_local(clock.now()).date()
    start = today if when == "now" else first_of_next_month(today)
    assert op.ok and out["effective_from"] == start.isoformat()
    subs = db.execute(select(Subscription).where(Subscription.customer_id == c.id)
                      .order_by(Subscription.id)).scalars().all()
    assert subs[-1].package.code == target and subs[-1].effective_from == start and subs[-1].effective_to is None
    assert current.effective_to == start
    view = svc.view_360(db_session=db, principal=agent, customer=c, now=clock.now())
    assert (view.package["code"] if when == "now" else view.pending_package["code"]) == target
    row = db.execute(select(BssOperation).where(BssOperation.id == op.id)).scalar_one()
    assert row.actor_id == agent.user_id and row.channel == "voice" and row.params["package_code"] == target


def test_refused_operation_is_kept(db, who, customer_in, clock) -> None:  # type: ignore[no-untyped-def]
    agent, actor, c = _verified(db, who, customer_in, clock, offset=4)
    op, _ = svc.do_bss(db_session=db, principal=agent, actor=actor, now=clock.now(), customer_id=c.id,
                       data=schemas.BssIn(operation="resume"), bss=BuiltinBss(db))
    assert not op.ok and "suspended" in op.message.lower()
    assert db.get(BssOperation, op.id) is not None


def test_suspend_resume_ringback_sp(db, who, customer_in, clock) -> None:  # type: ignore[no-untyped-def]
    agent, actor, c = _verified(db, who, customer_in, clock, offset=5)
    run = lambda **kw: svc.do_bss(db_session=db, principal=agent, actor=actor, now=clock.now(),  # noqa: E731
                                  customer_id=c.id, data=schemas.BssIn(**kw), bss=BuiltinBss(db))[0]
    assert run(operation="suspend").ok and c.status == "suspended"
    assert run(operation="resume").ok and c.status == "active"
    before = c.ring_back_tone
    assert run(operation="ring_back_tone", enabled=not before).ok and c.ring_back_tone is (not before)
    assert not run(operation="cancel_sp", sp_code="SP-NOPE").ok
    assert run(operation="balance").ok
    actions = db.execute(select(AuditEntry.action).where(AuditEntry.target_id == str(c.id),
                                                         AuditEntry.action.startswith("bss."))).scalars().all()
    assert {"bss.suspend", "bss.resume", "bss.ring_back_tone", "bss.cancel_sp"} <= set(actions)


def test_first_of_next_month() -> None:
    assert first_of_next_month(date(2026, 1, 31)) == date(2026, 2, 1)
    assert first_of_next_month(date(2026, 12, 15)) == date(2027, 1, 1)
