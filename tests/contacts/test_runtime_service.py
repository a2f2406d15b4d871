"""The runtime and services on a real database (SQLite, or PostgreSQL with HOTLINE_TEST_DATABASE_URL):
IVR to queue to offer to talk to ACW, RONA, late accept, transfer, restart from the database, live figures."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.contacts import service as svc
from hotline.contacts.models import AgentStateLog, Contact, ContactOffer, ContactQueue, IvrMenu
from hotline.contacts.runtime import ContactRuntime
from hotline.core.errors import IllegalTransition, InvalidInput


def ready(runtime, db, *agents) -> None:  # type: ignore[no-untyped-def]
    """Log agents in and make them ready (the state machine allows no shortcut)."""
    for a in agents:
        runtime.agent_state(db, user_id=a.id, state="login")
        runtime.agent_state(db, user_id=a.id, state="ready")


def dial(db, clock, number, keys=("0",)):  # type: ignore[no-untyped-def]
    c, token = svc.do_open_contact(db_session=db, now=clock.now(), channel="voice", number=number)
    return c, token


def test_configuration_from_standards(runtime: ContactRuntime, db) -> None:  # type: ignore[no-untyped-def]
    qs = {q.key: q for q in db.execute(select(ContactQueue)).scalars()}
    assert qs["HB.vip"].sl_threshold_s == 15 and qs["HB.vip"].sl_target == 0.85
    assert qs["HB.regular"].sl_threshold_s == 20 and qs["HB.regular"].sl_target == 0.75
    assert qs["FJ.regular"].sl_threshold_s == 15 and qs["FJ.regular"].sl_target == 0.90  # Quanzhou tightens
    assert qs["FJ.regular"].abandon_cap == 0.05 and qs["HB.regular"].abandon_cap is None
    assert qs["HB.billing"].overflow == [{"after_s": 90, "to_queue": "HB.regular"}]
    assert svc.ensure_configuration(db_session=db, now=runtime.clock.now()) == 0  # idempotent


def test_ivr_self_service_and_menu_navigation(runtime, db, clock, caller_number) -> None:  # type: ignore[no-untyped-def]
    c, token = dial(db, clock, caller_number)
    assert "话费查询请按1" in svc.ivr_prompt(db_session=db, contact=c)
    out = runtime.caller_key(db, contact_id=c.id, token=token, key="1")
    assert "查询余额请按1" in out["say"]
    out = runtime.caller_key(db, contact_id=c.id, token=token, key="1")
    assert "余额" in out["say"] and out["state"] == "ivr"
    out = runtime.caller_key(db, contact_id=c.id, token=token, key="*")
    assert "话费查询请按1" in out["say"]
    out = runtime.caller_key(db, contact_id=c.id, token=token, key="7")
    assert out["say"].startswith("输入有误")
    assert runtime.hangup(db, contact_id=c.id, token=token) == "self_served"
    db.refresh(c)
    assert [p["key"] for p in c.ivr_path] == ["1", "1", "*", "7"] and c.outcome == "self_served"
    with pytest.raises(Exception):
        runtime.caller_key(db, contact_id=c.id, token="wrong", key="1")


def test_call_reaches_agent_then_acw_and_figures(runtime, db, clock, users, caller_number) -> None:  # type: ignore[no-untyped-def]
    agent = users("agent")
    runtime.agent_state(db, user_id=agent.id, state="login")
    runtime.agent_state(db, user_id=agent.id, state="ready")
    c, token = dial(db, clock, caller_number)
    clock.advance(3)
    out = runtime.caller_key(db, contact_id=c.id, token=token, key="0")
    assert out["queue"] == "HB.regular"
    db.refresh(c)
    assert c.state == "offered" and c.agent_id == agent.id
    offer = db.execute(select(ContactOffer).where(ContactOffer.contact_id == c.id)).scalar_one()
    clock.advance(4)
    runtime.accept(db, user_id=agent.id, offer_id=offer.id)
    db.refresh(c)
    assert c.state == "talking" and (c.answered_at - c.queued_at).total_seconds() == 4
    clock.advance(10)
    runtime.hold(db, user_id=agent.id, contact_id=c.id, on=True)
    clock.advance(5)
    runtime.hold(db, user_id=agent.id, contact_id=c.id, on=False)
    clock.advance(20)
    runtime.end(db, user_id=agent.id, contact_id=c.id)
    with pytest.raises(IllegalTransition):
        runtime.agent_state(db, user_id=agent.id, state="ready")
    clock.advance(30)
    with pytest.raises(InvalidInput):
        runtime.wrap_up(db, user_id=agent.id, contact_id=c.id, code="nonsense")
    runtime.wrap_up(db, user_id=agent.id, contact_id=c.id, code="resolved", work_orders=["WO-1"])
    db.refresh(c)
    assert (c.hold_s, c.outcome, c.wrap_up_code, c.work_orders) == (5.0, "answered", "resolved", ["WO-1"])
    assert (c.acw_end_at - c.talk_end_at).total_seconds() == 30
    states = [s.state for s in db.execute(select(AgentStateLog).where(AgentStateLog.user_id == agent.id)
                                          .order_by(AgentStateLog.id)).scalars()]
    assert states == ["not_ready", "ready", "offered", "talking", "hold", "talking", "acw", "ready"]
    row = runtime.queue_row("HB.regular")
    assert (row["offered"], row["answered"], row["service_level"], row["asa_s"]) == (1, 1, 1.0, 4.0)
    hist = svc.history_for_customer(db_session=db, principal=None, customer_id=c.customer_id)
    assert hist and "summary" in hist[0]


def test_rona_requeues_ahead_and_late_accept_refused(runtime, db, clock, users, caller_number) -> None:  # type: ignore[no-untyped-def]
    agent = users("agent")
    ready(runtime, db, agent)
    first, t1 = dial(db, clock, caller_number)
    runtime.caller_key(db, contact_id=first.id, token=t1, key="0")
    clock.advance(1)
    second, t2 = dial(db, clock, caller_number)
    runtime.caller_key(db, contact_id=second.id, token=t2, key="0")
    offer = db.execute(select(ContactOffer).where(ContactOffer.contact_id == first.id)).scalar_one()
    clock.advance(16)  # past the 15 s offer timeout
    assert runtime.tick() > 0
    db.refresh(offer)
    assert offer.status == "timed_out"
    with pytest.raises(svc.OfferClosed):
        runtime.accept(db, user_id=agent.id, offer_id=offer.id)
    assert runtime.engine.agent_state(agent.id) == "not_ready"
    assert runtime.engine.waiting("HB.regular") == [first.id, second.id]  # back ahead of the later arrival
    assert runtime.tick() == 0  # fired exactly once
    last = db.execute(select(AgentStateLog).where(AgentStateLog.user_id == agent.id)
                      .order_by(AgentStateLog.id.desc()).limit(1)).scalar_one()
    assert (last.state, last.reason) == ("not_ready", "rona")


def test_restart_rebuilds_queue_order_and_offers(runtime, db, clock, hub, users, caller_number) -> None:  # type: ignore[no-untyped-def]
    ids = []
    for _ in range(3):
        c, t = dial(db, clock, caller_number)
        runtime.caller_key(db, contact_id=c.id, token=t, key="0")
        ids.append(c.id)
        clock.advance(1)
    agent = users("agent")
    again = ContactRuntime(runtime.factory, clock, hub)
    again.rebuild()
    assert again.engine.waiting("HB.regular") == ids
    ready(again, db, agent)
    assert db.get(Contact, ids[0]).state == "offered"
    third = ContactRuntime(runtime.factory, clock, hub)
    third.rebuild()  # the open offer survives a second restart with its deadline
    assert third.engine.open_offers() and list(third.engine.open_offers().values())[0][0] == ids[0]
    assert third.engine.waiting("HB.regular") == ids[1:]


def test_transfer_to_expert_creates_a_second_leg(runtime, db, clock, users, caller_number) -> None:  # type: ignore[no-untyped-def]
    agent, expert = users("agent"), users("expert")
    ready(runtime, db, agent, expert)
    c, t = dial(db, clock, caller_number)
    runtime.caller_key(db, contact_id=c.id, token=t, key="0")
    db.refresh(c)
    offer = db.execute(select(ContactOffer).where(ContactOffer.contact_id == c.id)).scalar_one()
    runtime.accept(db, user_id=offer.agent_id, offer_id=offer.id)
    clock.advance(30)
    leg_id = runtime.transfer(db, user_id=offer.agent_id, contact_id=c.id, target="expert")
    leg = db.get(Contact, leg_id)
    db.refresh(c)
    assert c.transferred_to_queue == "HB.complaint" and c.state == "acw" and leg.parent_id == c.id
    assert leg.state == "offered" and leg.agent_id == expert.id
    assert svc.live_leg(db_session=db, contact=c).id == leg.id


def test_ivr_versions_publish_and_rollback(runtime, db, clock, users) -> None:  # type: ignore[no-untyped-def]
    from hotline.core.audit import Actor
    from hotline.org import service as org_service

    admin = users("admin")
    principal = org_service.principal_for(db_session=db, user=admin)
    actor = Actor(admin.id, admin.username)
    prov = principal.province_id
    old = svc.published_menu(db_session=db, unit_id=prov, name="billing")
    tree = {"kind": "menu", "prompt": "新菜单", "options": {"0": {"kind": "transfer", "queue": "billing",
                                                               "business_type": "bill_query"}}}
    with pytest.raises(InvalidInput):
        svc.do_save_ivr_draft(db_session=db, principal=principal, actor=actor, now=clock.now(), unit_id=prov,
                              name="billing", tree={"kind": "menu", "prompt": "", "options": {}})
    with pytest.raises(InvalidInput):  # the national level belongs to HQ
        svc.do_save_ivr_draft(db_session=db, principal=principal, actor=actor, now=clock.now(), unit_id=prov,
                              name="root", tree=tree)
    draft = svc.do_save_ivr_draft(db_session=db, principal=principal, actor=actor, now=clock.now(), unit_id=prov,
                                  name="billing", tree=tree)
    assert svc.published_menu(db_session=db, unit_id=prov, name="billing").id == old.id
    svc.do_publish_ivr(db_session=db, principal=principal, actor=actor, now=clock.now(), menu_id=draft.id)
    assert svc.published_menu(db_session=db, unit_id=prov, name="billing").tree["prompt"] == "新菜单"
    svc.do_publish_ivr(db_session=db, principal=principal, actor=actor, now=clock.now(), menu_id=old.id)
    assert svc.published_menu(db_session=db, unit_id=prov, name="billing").id == old.id
    assert db.get(IvrMenu, draft.id).status == "retired"


def test_transfer_to_a_named_agent_and_its_overflow(runtime, db, clock, users, caller_number) -> None:  # type: ignore[no-untyped-def]
    agent, expert = users("agent"), users("expert")
    ready(runtime, db, agent)
    c, t = dial(db, clock, caller_number)
    runtime.caller_key(db, contact_id=c.id, token=t, key="0")
    offer = db.execute(select(ContactOffer).where(ContactOffer.contact_id == c.id)).scalar_one()
    runtime.accept(db, user_id=agent.id, offer_id=offer.id)
    with pytest.raises(InvalidInput):  # the expert is not signed in yet
        runtime.transfer(db, user_id=agent.id, contact_id=c.id, target=f"agent:{expert.id}")
    with pytest.raises(InvalidInput):  # not to oneself
        runtime.transfer(db, user_id=agent.id, contact_id=c.id, target=f"agent:{agent.id}")
    runtime.agent_state(db, user_id=expert.id, state="login")  # signed in, not ready: the leg waits for them
    leg_id = runtime.transfer(db, user_id=agent.id, contact_id=c.id, target=f"agent:{expert.id}")
    assert runtime.engine.waiting(svc.personal_queue(expert.id)) == [leg_id]
    runtime.agent_state(db, user_id=expert.id, state="ready")
    leg = db.get(Contact, leg_id)
    assert (leg.state, leg.agent_id, leg.parent_id) == ("offered", expert.id, c.id)

    # a named agent who never becomes ready: after personal_overflow_s the leg goes to the regular queue
    runtime.wrap_up(db, user_id=agent.id, contact_id=c.id, code="transfer", ready=False)
    second, t2 = dial(db, clock, caller_number)
    runtime.agent_state(db, user_id=agent.id, state="ready")
    runtime.caller_key(db, contact_id=second.id, token=t2, key="0")
    offer2 = db.execute(select(ContactOffer).where(ContactOffer.contact_id == second.id)).scalar_one()
    runtime.accept(db, user_id=agent.id, offer_id=offer2.id)
    other = users("hb0025")  # an expert seat of the agent's team, signed in but not ready
    runtime.agent_state(db, user_id=other.id, state="login")
    leg2 = runtime.transfer(db, user_id=agent.id, contact_id=second.id, target=f"agent:{other.id}")
    clock.advance(61)
    runtime.tick()
    assert leg2 in runtime.engine.waiting("HB.regular") and db.get(Contact, leg2).overflowed_to_queue == "HB.regular"


def test_state_buttons_follow_the_state_machine(runtime, db, clock, users, caller_number) -> None:  # type: ignore[no-untyped-def]
    agent = users("agent")
    with pytest.raises(IllegalTransition):  # log in first
        runtime.agent_state(db, user_id=agent.id, state="ready")
    ready(runtime, db, agent)
    c, t = dial(db, clock, caller_number)
    runtime.caller_key(db, contact_id=c.id, token=t, key="0")
    offer = db.execute(select(ContactOffer).where(ContactOffer.contact_id == c.id)).scalar_one()
    runtime.accept(db, user_id=agent.id, offer_id=offer.id)
    for refused in ("ready", "logout", "login"):
        if refused == "login":
            assert runtime.agent_state(db, user_id=agent.id, state="login")["state"] == "talking"  # a no-op
            continue
        with pytest.raises(IllegalTransition):
            runtime.agent_state(db, user_id=agent.id, state=refused)
    runtime.agent_state(db, user_id=agent.id, state="not_ready", reason="break")  # asked during the call
    assert runtime.agent_state(db, user_id=agent.id, state="login")["state"] == "talking"
    runtime.end(db, user_id=agent.id, contact_id=c.id)
    runtime.agent_state(db, user_id=agent.id, state="not_ready", reason="training")  # during ACW: still pending
    assert db.get(Contact, c.id).state == "acw"
    runtime.wrap_up(db, user_id=agent.id, contact_id=c.id, code="resolved")
    row = runtime.agent_state(db, user_id=agent.id, state="login")
    assert (row["state"], row["reason"]) == ("not_ready", "training")
    assert svc.AGENT_ACTIONS["talking"] == ("not_ready",) and "ready" not in svc.AGENT_ACTIONS["acw"]


def test_warm_transfer_consult_then_complete_or_cancel(runtime, db, clock, users, caller_number) -> None:  # type: ignore[no-untyped-def]
    agent, expert = users("agent"), users("expert")
    ready(runtime, db, agent, expert)
    c, t = dial(db, clock, caller_number)
    runtime.caller_key(db, contact_id=c.id, token=t, key="0")
    offer = db.execute(select(ContactOffer).where(ContactOffer.contact_id == c.id)).scalar_one()
    runtime.accept(db, user_id=agent.id, offer_id=offer.id)

    # consult, then cancel while it rings: the customer is back with the agent, nothing counted as abandoned
    leg = runtime.consult(db, user_id=agent.id, contact_id=c.id, target=f"agent:{expert.id}")
    db.refresh(c)
    assert c.state == "hold" and svc.contact_view(db, c)["consult"]["state"] == "offered"
    assert svc.live_leg(db_session=db, contact=c).id == c.id  # the caller still talks to the first agent
    with pytest.raises(IllegalTransition):  # the expert has not answered yet
        runtime.complete_consult(db, user_id=agent.id, contact_id=c.id)
    runtime.cancel_consult(db, user_id=agent.id, contact_id=c.id)
    db.refresh(c)
    cancelled = db.get(Contact, leg)
    assert (c.state, cancelled.state, cancelled.outcome, cancelled.abandoned_at) == ("talking", "ended", "cancelled",
                                                                                     None)
    assert runtime.engine.agent_state(expert.id) == "ready" and leg not in runtime.engine.contacts()

    # consult again; the expert answers; the agent completes: the caller follows the new leg
    leg = runtime.consult(db, user_id=agent.id, contact_id=c.id, target="expert")
    clock.advance(5)  # the customer waits on hold
    offer = db.execute(select(ContactOffer).where(ContactOffer.contact_id == leg, ContactOffer.status == "open")
                       ).scalar_one()
    runtime.accept(db, user_id=expert.id, offer_id=offer.id)
    assert svc.contact_view(db, db.get(Contact, c.id))["consult"]["agent"] == expert.display_name
    runtime.complete_consult(db, user_id=agent.id, contact_id=c.id)
    db.refresh(c)
    new = db.get(Contact, leg)
    assert (c.state, c.transferred_to_queue, new.state, new.agent_id) == ("acw", "HB.complaint", "talking", expert.id)
    assert svc.live_leg(db_session=db, contact=c).id == leg and c.hold_s == 5.0
    assert runtime.engine.agent_state(agent.id) == "acw"
