"""The SLA poller fires each overdue step's escalations exactly once: never early, after a downtime gap,
and with two sweepers at once; two agents closing the same order at once → exactly one wins."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from hotline.core.clock import ManualClock
from hotline.core.db import transaction
from hotline.core.errors import StaleVersion
from hotline.tickets import jobs, service
from hotline.tickets.models import TicketNotification, TicketStep, TicketTimer


def _fired(factory, step_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    with factory() as s:
        return list(s.execute(select(TicketTimer.level).where(TicketTimer.step_id == step_id,
                                                              TicketTimer.fired_at.is_not(None))
                              .order_by(TicketTimer.level)).scalars())


def test_never_early_then_levels_in_order_and_exactly_once_after_downtime(factory, committed_world) -> None:  # type: ignore[no-untyped-def]
    w, clock0 = committed_world
    clock = ManualClock(clock0)
    with transaction(factory) as db:
        t = w.to_department(db, clock.now())
        step = service.open_step(db_session=db, ticket_id=t.id)
        plan = list(db.execute(select(TicketTimer.fire_at).where(TicketTimer.step_id == step.id)
                               .order_by(TicketTimer.level)).scalars())
        step_id = step.id
    clock.set(plan[0] - timedelta(seconds=1))
    jobs.sweep(factory=factory, clock=clock)
    assert _fired(factory, step_id) == []  # one second before the due time: nothing
    clock.set(plan[0])
    jobs.sweep(factory=factory, clock=clock)
    assert _fired(factory, step_id) == [1]
    # the server is down for four days; on restart every missed level fires, once
    clock.advance(days=4)
    jobs.sweep(factory=factory, clock=clock)
    jobs.sweep(factory=factory, clock=clock)
    assert _fired(factory, step_id) == [1, 2, 3]
    with factory() as s:
        step = s.get(TicketStep, step_id)
        assert step.overdue and step.escalation_level == 3
        audiences = s.execute(select(TicketNotification.audience).where(
            TicketNotification.ticket_id == t.id, TicketNotification.kind == "overdue")
            .order_by(TicketNotification.id)).scalars().all()
        assert audiences == ["team_leader", "department_head", "centre_manager"]


def test_answered_step_never_escalates(factory, committed_world) -> None:  # type: ignore[no-untyped-def]
    w, start = committed_world
    clock = ManualClock(start)
    with transaction(factory) as db:
        t = w.to_department(db, clock.now())
        step_id = service.open_step(db_session=db, ticket_id=t.id).id
        w.act(db, clock.now() + timedelta(minutes=30), "reply", t, by=w.backoffice["network"],
              cause_id=w.cause["network.radio.site_down"], result="已修复")
    clock.advance(days=10)
    jobs.sweep(factory=factory, clock=clock)
    assert _fired(factory, step_id) == []
    with factory() as s:
        assert s.get(TicketStep, step_id).on_time is True


def test_two_sweepers_at_once_fire_each_timer_once(factory, committed_world) -> None:  # type: ignore[no-untyped-def]
    w, start = committed_world
    clock = ManualClock(start)
    with transaction(factory) as db:
        ids = [w.to_department(db, clock.now()).id for _ in range(30)]
    clock.advance(days=30)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def run(name: str) -> None:
        barrier.wait()
        results.append(jobs.sweep(factory=factory, clock=clock, batch=7, worker=name).fired)

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    with factory() as s:
        fired = s.execute(select(TicketTimer.step_id, TicketTimer.level).where(
            TicketTimer.ticket_id.in_(ids), TicketTimer.fired_at.is_not(None))).all()
        notes = s.execute(select(func.count()).where(TicketNotification.ticket_id.in_(ids),
                                                     TicketNotification.kind == "overdue")).scalar()
        pending = s.execute(select(func.count()).where(TicketTimer.ticket_id.in_(ids),
                                                       TicketTimer.fired_at.is_(None),
                                                       TicketTimer.cancelled_at.is_(None))).scalar()
    # the front-line and expert steps ended before their due times: their timers were cancelled
    assert len(fired) == len(set(fired)) == 30 * 3  # one department step each, three levels
    assert notes == 30 * 3 and pending == 0
    assert len(results) == 2 and sum(results) >= 30 * 3  # other tests' leftovers may fire too, but never twice


def test_two_agents_closing_the_same_order_exactly_one_wins(factory, committed_world) -> None:  # type: ignore[no-untyped-def]
    w, start = committed_world
    clock = ManualClock(start)
    with transaction(factory) as db:
        t = w.to_department(db, clock.now())
        t = w.act(db, clock.now(), "reply", t, by=w.backoffice["network"], cause_id=w.cause["network.radio.site_down"],
                  result="已修复")
        tid, version = t.id, t.version
    barrier = threading.Barrier(2)
    outcome: list[str] = []

    def close(who) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            with transaction(factory) as db:
                service.do_callback(db_session=db, principal=who, actor=w.actor(who), now=clock.now(),
                                    ticket_id=tid, version=version, satisfaction="satisfied")
            outcome.append("won")
        except StaleVersion:
            outcome.append("stale")

    threads = [threading.Thread(target=close, args=(p,)) for p in (w.expert, w.manager)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcome) == ["stale", "won"]
    with factory() as s:
        from hotline.tickets.models import TicketCallback

        assert s.execute(select(func.count()).where(TicketCallback.ticket_id == tid)).scalar() == 1
