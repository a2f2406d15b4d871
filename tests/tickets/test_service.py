"""Service tests on a real database (SQLite; PostgreSQL with HOTLINE_TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotline.core.errors import Forbidden, IllegalTransition, InvalidInput, NotFound, StaleVersion
from hotline.core.models import AuditEntry
from hotline.tickets import service
from hotline.tickets.models import SmsOutbox, TicketHistory, TicketNotification, TicketTimer


def test_full_closed_loop(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    t = world.create(db, clock.now(), contact_ids=["call-1", "call-1", "call-2"])
    assert t.no.startswith("GD20260302") and t.state == "created" and t.priority == "high"
    assert [c.contact_id for c in t.contacts] == ["call-1", "call-2"]
    clock.advance(minutes=5)
    t = world.act(db, clock.now(), "frontline_try", t, by=world.agent, note="指导重启终端，仍无信号")
    t = world.act(db, clock.now(), "to_expert", t, by=world.agent)
    clock.advance(minutes=20)
    t = world.act(db, clock.now(), "dispatch", t, dept_id=world.depts["wireless"].id, note="疑似基站故障")
    t = world.act(db, clock.now(), "redispatch", t, by=world.backoffice["wireless"],
                  dept_id=world.depts["network"].id, note="传输问题，转网络部")
    assert t.state == "dispatched" and t.dept_id == world.depts["network"].id
    clock.advance(hours=2)
    t = world.act(db, clock.now(), "reply", t, by=world.backoffice["network"],
                  cause_id=world.cause["network.transport.fibre_cut"], result="光缆中断已修复")
    assert t.state == "replied" and t.resolved_by == "department"
    t = world.act(db, clock.now(), "callback", t, satisfaction="satisfied", note="客户确认恢复")
    assert t.state == "archived" and t.closed_at == clock.now() and t.satisfaction == "satisfied"

    rows = service.history(db_session=db, ticket_id=t.id)
    assert [h.action for h in rows] == ["create", "frontline_try", "to_expert", "dispatch", "redispatch", "reply",
                                        "callback", "archive"]
    assert rows[4].changes["dept_id"] == [world.depts["wireless"].id, world.depts["network"].id]
    assert rows[4].actor_name == "bo_wireless"
    kinds = [(s.kind, s.outcome, s.on_time) for s in service.steps(db_session=db, ticket_id=t.id)]
    assert kinds == [("frontline", "to_expert", True), ("expert", "dispatched", True),
                     ("department", "redispatched", True), ("department", "replied", True),
                     ("callback", "called_back", True)]
    pending = db.execute(select(func.count()).where(TicketTimer.ticket_id == t.id, TicketTimer.fired_at.is_(None),
                                                    TicketTimer.cancelled_at.is_(None))).scalar()
    assert pending == 0
    sms = db.execute(select(SmsOutbox.template, SmsOutbox.to_number).where(SmsOutbox.ticket_id == t.id)
                     .order_by(SmsOutbox.id)).all()
    assert [s[0] for s in sms] == ["accepted", "closed"] and sms[0][1].startswith("138")
    audits = db.execute(select(AuditEntry.action).where(AuditEntry.target_type == "ticket",
                                                        AuditEntry.target_id == str(t.id))).scalars().all()
    assert len(audits) == 8 and "tickets.reply" in audits
    notes = db.execute(select(TicketNotification.kind).where(TicketNotification.ticket_id == t.id)).scalars().all()
    assert sorted(notes) == ["dispatched", "dispatched", "replied"]


def test_fault_must_pass_the_expert_and_illegal_moves_are_refused(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    t = world.create(db, clock.now())
    t = world.act(db, clock.now(), "frontline_try", t, by=world.agent, note="已尝试")
    with pytest.raises(IllegalTransition):
        world.act(db, clock.now(), "dispatch", t, dept_id=world.depts["network"].id)
    with pytest.raises(IllegalTransition):
        world.act(db, clock.now(), "callback", t, satisfaction="satisfied")
    with pytest.raises(InvalidInput) as exc:
        world.act(db, clock.now(), "frontline_try", t, by=world.agent, note="  ")
    assert exc.value.details["field"] == "note"


def test_dissatisfied_callback_reopens_to_the_expert(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    t = world.to_department(db, clock.now())
    t = world.act(db, clock.now(), "reply", t, by=world.backoffice["network"],
                  cause_id=world.cause["customer.usage.no_fault"], result="测试无故障")
    t = world.act(db, clock.now(), "callback", t, satisfaction="dissatisfied", note="仍然无信号")
    assert t.state == "expert" and t.closed_at is None and t.dept_id is None
    assert service.open_step(db_session=db, ticket_id=t.id).kind == "expert"
    t = world.act(db, clock.now(), "dispatch", t, dept_id=world.depts["wireless"].id)
    assert t.state == "dispatched"


def test_return_with_reason_then_centre_solves(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    t = world.to_department(db, clock.now(), dept="billing")
    with pytest.raises(InvalidInput):
        world.act(db, clock.now(), "return", t, by=world.backoffice["billing"], reason="")
    t = world.act(db, clock.now(), "return", t, by=world.backoffice["billing"], reason="非计费问题")
    assert t.state == "returned" and t.dept_id is None
    t = world.act(db, clock.now(), "solve", t, result="专家远程处理")
    assert t.state == "replied" and t.resolved_by == "centre"


def test_stale_version_is_refused(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    t = world.create(db, clock.now())
    old = t.version
    world.act(db, clock.now(), "frontline_try", t, by=world.agent, note="试过")
    with pytest.raises(StaleVersion) as exc:
        service.do_to_expert(db_session=db, principal=world.agent, actor=world.actor(world.agent), now=clock.now(),
                             ticket_id=t.id, version=old)
    assert exc.value.http_status == 409 and exc.value.details["sent_version"] == old


def test_scope_out_of_scope_is_404_and_department_sees_only_its_own(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    t = world.to_department(db, clock.now(), dept="network")
    with pytest.raises(NotFound):
        service.get(db_session=db, principal=world.agent2, ticket_id=t.id)  # another agent: self scope
    with pytest.raises(NotFound):
        service.get(db_session=db, principal=world.backoffice["billing"], ticket_id=t.id)
    assert service.get(db_session=db, principal=world.backoffice["network"], ticket_id=t.id).id == t.id
    with pytest.raises(NotFound):  # billing cannot reply to network's order: it cannot even see it
        world.act(db, clock.now(), "reply", t, by=world.backoffice["billing"],
                  cause_id=world.cause["billing.rating.rating_error"], result="x")
    with pytest.raises(Forbidden):  # the agent may read their own order but not dispatch it
        world.act(db, clock.now(), "redispatch", t, by=world.agent, dept_id=world.depts["data"].id, note="x")
    queue = service.dept_queue(db_session=db, principal=world.backoffice["network"], now=clock.now())
    assert [q.ticket.id for q in queue] == [t.id]
    assert service.dept_queue(db_session=db, principal=world.backoffice["billing"], now=clock.now()) == []
    mine, total = service.list_tickets(db_session=db, principal=world.agent)
    assert total == 1 and mine[0].id == t.id
    assert service.list_tickets(db_session=db, principal=world.agent2)[1] == 0


def test_priority_vip_and_repeat_contacts(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    t = world.create(db, clock.now(), type="complaint", customer_id=world.vip.id,
                     phenomenon_id=world.phen["mobile.tariff.sp_charge"])
    assert t.priority == "urgent" and t.sla_mode == "24x7"
    s0 = world.create(db, clock.now(), type="suggestion", phenomenon_id=None)  # regular customer, first order
    assert s0.priority == "low" and s0.repeat_contacts == 0
    clock.advance(days=2)
    s1 = world.create(db, clock.now(), type="suggestion", phenomenon_id=None)  # the same customer again
    assert s1.priority == "normal" and s1.repeat_contacts == 1
    clock.advance(days=31)
    s2 = world.create(db, clock.now(), type="suggestion", phenomenon_id=None)  # outside the 30-day window
    assert s2.priority == "low" and s2.repeat_contacts == 0


def test_create_validates_classification(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as exc:
        world.create(db, clock.now(), phenomenon_id=None)
    assert exc.value.details["field"] == "phenomenon_id"
    with pytest.raises(InvalidInput):
        world.create(db, clock.now(), phenomenon_id=world.phen["mobile.signal"])  # level 2
    with pytest.raises(InvalidInput):
        world.create(db, clock.now(), phenomenon_id=world.cause["network.radio.site_down"])  # wrong tree


def test_suspension_stops_the_clock(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    t = world.to_department(db, clock.now())  # Monday 09:00 Shanghai, fault high: 4 business hours
    step = service.open_step(db_session=db, ticket_id=t.id)
    due0 = step.due_at
    assert due0 - clock.now() == timedelta(hours=5, minutes=30)  # 09:00 → 14:30 (lunch 12:00–13:30)
    clock.advance(hours=1)
    t = world.act(db, clock.now(), "suspend", t, by=world.backoffice["network"], reason="客户联系不上")
    assert t.state == "suspended"
    assert db.execute(select(func.count()).where(TicketTimer.step_id == step.id, TicketTimer.fired_at.is_(None),
                                                 TicketTimer.cancelled_at.is_(None))).scalar() == 0
    clock.advance(hours=2)  # 10:00 → 12:00: two business hours suspended
    t = world.act(db, clock.now(), "resume", t, by=world.backoffice["network"])
    assert t.state == "dispatched"
    step = service.open_step(db_session=db, ticket_id=t.id)
    assert step.due_at - due0 == timedelta(hours=2)
    pending = db.execute(select(TicketTimer.fire_at).where(
        TicketTimer.step_id == step.id, TicketTimer.fired_at.is_(None), TicketTimer.cancelled_at.is_(None))
        .order_by(TicketTimer.level)).scalars().all()
    assert pending[0] == step.due_at and len(pending) == 3
    t = world.act(db, step.due_at, "reply", t, by=world.backoffice["network"],
                  cause_id=world.cause["network.radio.site_down"], result="修复")
    done = service.steps(db_session=db, ticket_id=t.id)[-2]
    assert done.on_time is True and done.business_seconds == 4 * 3600


def test_linked_orders_show_joint_status(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    c = world.create(db, clock.now(), type="complaint", phenomenon_id=world.phen["mobile.tariff.bill_high"])
    a = world.create(db, clock.now(), parent_id=c.id, link_kind="network_linkage")
    b = world.create(db, clock.now(), type="business", phenomenon_id=None, parent_id=c.id)
    rows, status = service.linked(db_session=db, ticket_id=c.id)
    assert [t.id for _, t in rows] == [a.id, b.id] and status == "open"
    with pytest.raises(InvalidInput):
        world.create(db, clock.now(), parent_id=a.id)  # a fault is not a complaint


def test_history_and_category_editing(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    admin = world.manager.__class__.build(user_id=9, username="admin", display_name="admin", roles={"administrator"},
                                          unit_path=world.province.path, province_path=world.province.path)
    node = service.save_category(db_session=db, principal=admin, actor=world.actor(admin), now=clock.now(),
                                 tree="phenomenon", code="mobile.signal.indoor", name="室内无信号",
                                 parent_id=world.phen["mobile.signal"])
    assert node.level == 3
    with pytest.raises(Forbidden):
        service.save_category(db_session=db, principal=world.agent, actor=world.actor(world.agent), now=clock.now(),
                              tree="phenomenon", code="x", name="x")
    t = world.create(db, clock.now(), phenomenon_id=node.id)
    assert service.category_path(db_session=db, category_id=t.phenomenon_id) == ["移动/小灵通", "信号", "室内无信号"]
    assert db.execute(select(func.count()).where(TicketHistory.ticket_id == t.id)).scalar() == 1


def test_answered_consultation_becomes_a_knowledge_draft(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    """R-TKT-5: the department's answer to an unanswered consultation is a received draft for the editors."""
    from sqlalchemy import select

    from hotline.knowledge.models import KbArticle

    t = world.create(db, clock.now(), type="consultation", title="国际漫游如何开通", description="客户下周出国",
                     phenomenon_id=None)
    t = world.act(db, clock.now(), "frontline_try", t, by=world.agent, note="知识库无答案")
    t = world.act(db, clock.now(), "dispatch", t, dept_id=world.depts["marketing"].id)
    t = world.act(db, clock.now(), "reply", t, by=world.backoffice["marketing"],
                  cause_id=world.cause["network.radio.site_down"], result="营业厅或 10086 开通，需预存 500 元")
    art = db.execute(select(KbArticle).where(KbArticle.source == "ticket", KbArticle.source_ref == t.no)).scalar_one()
    assert art.state == "received" and "国际漫游" in art.title
    fault = world.to_department(db, clock.now())  # other types are not knowledge questions
    fault = world.act(db, clock.now(), "reply", fault, by=world.backoffice["network"],
                      cause_id=world.cause["network.radio.site_down"], result="基站已恢复")
    assert db.execute(select(KbArticle).where(KbArticle.source_ref == fault.no)).first() is None


def test_open_orders_for_the_customer_360_view(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    t = world.create(db, clock.now())
    done = world.create(db, clock.now(), type="suggestion", title="建议", phenomenon_id=None)
    done = world.act(db, clock.now(), "solve", done, by=world.agent, result="已记录")
    done = world.act(db, clock.now(), "callback", done, satisfaction="satisfied")
    rows = service.open_for_customer(db_session=db, principal=world.expert, customer_id=world.regular.id)
    assert [r["id"] for r in rows] == [t.id] and t.no in rows[0]["title"] and "已受理" in rows[0]["title"]
    assert service.open_for_customer(db_session=db, principal=world.backoffice["network"],
                                     customer_id=world.regular.id) == []  # not at their department
