"""Unit tests of the pure routing engine: one behaviour per test, times in seconds."""

from __future__ import annotations

import json

import pytest

from hotline.contacts.routing import (
    AgentConfig,
    AgentReady,
    Connect,
    ContactArrived,
    Offer,
    OfferCancelled,
    Overflow,
    OverflowRule,
    QueueConfig,
    Rejected,
    Requeue,
    RoutingConfig,
    RoutingConfigError,
    RoutingEngine,
    RoutingPolicy,
    SetNotReady,
    command_from_dict,
    command_to_dict,
    event_from_dict,
    event_to_dict,
)


def make(queues=None, agents=None, **policy) -> RoutingEngine:
    queues = queues or (QueueConfig("regular"),)
    agents = agents or (AgentConfig("a1", {"regular": 1}),)
    return RoutingEngine(
        RoutingConfig(queues=tuple(queues), agents=tuple(agents), policy=RoutingPolicy(**policy))
    )


def offers(cmds):
    return [c for c in cmds if isinstance(c, Offer)]


def test_arrival_with_idle_agent_is_offered_and_accept_connects():
    e = make()
    assert e.agent_ready(0, "a1") == []
    (o,) = e.contact_arrived(5, "c1", "regular")
    assert o == Offer(1, "c1", "a1", "regular", 20.0, 5)
    assert e.offer_accepted(6, o.offer_id, "a1") == [Connect(1, "c1", "a1", "regular", 6)]
    assert e.agent_state("a1") == "busy"
    assert e.contact_ended(60, "c1") == []
    assert e.agent_state("a1") == "ready"
    assert e.contact_state("c1") is None
    e.check()


def test_ready_agent_takes_the_oldest_waiting_contact():
    e = make()
    e.contact_arrived(1, "c1", "regular")
    e.contact_arrived(2, "c2", "regular")
    assert e.waiting("regular") == ["c1", "c2"]
    (o,) = e.agent_ready(3, "a1")
    assert o.contact_id == "c1"


def test_priority_beats_age_and_fifo_holds_within_a_priority():
    e = make()
    e.contact_arrived(1, "c1", "regular")
    e.contact_arrived(2, "vip1", "regular", priority=5)
    e.contact_arrived(3, "c2", "regular")
    e.contact_arrived(4, "vip2", "regular", priority=5)
    assert e.waiting("regular") == ["vip1", "vip2", "c1", "c2"]


def test_queue_priority_adds_to_contact_priority_across_queues():
    qs = (QueueConfig("regular"), QueueConfig("vip", priority=10))
    e = make(qs, (AgentConfig("a1", {"regular": 1, "vip": 1}),))
    e.contact_arrived(1, "r1", "regular", priority=5)
    e.contact_arrived(2, "v1", "vip")
    (o,) = e.agent_ready(3, "a1")
    assert o.contact_id == "v1"


def test_longest_idle_agent_is_chosen():
    agents = [AgentConfig(f"a{i}", {"regular": 1}) for i in range(3)]
    e = make(agents=agents)
    e.agent_ready(5, "a2")
    e.agent_ready(1, "a1")  # earlier than the engine clock: taken as time 5; the tie goes to config order
    e.agent_ready(7, "a0")
    assert e.idle_agents("regular") == ["a1", "a2", "a0"]
    (o,) = e.contact_arrived(8, "c", "regular")
    assert o.agent_id == "a1"


def test_best_skill_agent_is_chosen_then_longest_idle():
    agents = [AgentConfig("low", {"q": 1}), AgentConfig("hi1", {"q": 5}), AgentConfig("hi2", {"q": 5})]
    e = make((QueueConfig("q", agent_selection="best_skill"),), agents)
    e.agent_ready(0, "low")
    e.agent_ready(1, "hi2")
    e.agent_ready(2, "hi1")
    assert offers(e.contact_arrived(3, "c1", "q"))[0].agent_id == "hi2"
    assert offers(e.contact_arrived(3, "c2", "q"))[0].agent_id == "hi1"
    assert offers(e.contact_arrived(3, "c3", "q"))[0].agent_id == "low"


def test_unanswered_offer_goes_back_ahead_of_later_arrivals_and_agent_is_rona():
    agents = [AgentConfig("a1", {"regular": 1}), AgentConfig("a2", {"regular": 1})]
    e = make(agents=agents, offer_timeout_s=10)
    e.agent_ready(0, "a1")
    (o,) = e.contact_arrived(1, "c1", "regular")
    e.contact_arrived(2, "c2", "regular")
    e.contact_arrived(3, "c3", "regular")
    assert e.next_timer() == 11
    cmds = e.tick(11)
    assert cmds == [
        OfferCancelled(o.offer_id, "c1", "a1", "timeout", 11),
        SetNotReady("a1", "rona", 11),
        Requeue("c1", "regular", "rona", 11),
    ]
    assert e.agent_state("a1") == "not_ready"
    assert e.waiting("regular") == ["c1", "c2", "c3"]
    (o2,) = e.agent_ready(12, "a2")
    assert o2.contact_id == "c1"
    e.check()


def test_late_accept_is_refused_and_changes_nothing():
    e = make(offer_timeout_s=10)
    e.agent_ready(0, "a1")
    (o,) = e.contact_arrived(1, "c1", "regular")
    before = None
    # No tick: the accept at the deadline itself fires the timer first, then refuses the accept.
    cmds = e.offer_accepted(11, o.offer_id, "a1")
    assert isinstance(cmds[-1], Rejected) and cmds[-1].code == "offer_closed"
    assert [type(c) for c in cmds[:-1]] == [OfferCancelled, SetNotReady, Requeue]
    before = e.snapshot()
    again = e.offer_accepted(12, o.offer_id, "a1")
    assert again == [Rejected("offer_accepted", "offer_closed", again[0].detail, 12)]
    assert e.offer_accepted(12, 999, "a1")[0].code == "offer_unknown"
    after = e.snapshot()
    after["now"] = before["now"]
    assert after == before
    e.check()


def test_accept_by_another_agent_is_refused():
    e = make(agents=[AgentConfig("a1", {"regular": 1}), AgentConfig("a2", {"regular": 1})])
    e.agent_ready(0, "a1")
    (o,) = e.contact_arrived(1, "c1", "regular")
    assert e.offer_accepted(2, o.offer_id, "a2")[0].code == "offer_wrong_agent"
    assert isinstance(e.offer_accepted(2, o.offer_id, "a1")[0], Connect)


def test_reject_requeues_and_sets_not_ready_by_default():
    e = make(agents=[AgentConfig("a1", {"regular": 1}), AgentConfig("a2", {"regular": 1})])
    e.agent_ready(0, "a1")
    e.agent_ready(1, "a2")
    (o,) = e.contact_arrived(2, "c1", "regular")
    cmds = e.offer_rejected(3, o.offer_id, "a1")
    assert cmds[:3] == [
        OfferCancelled(o.offer_id, "c1", "a1", "rejected", 3),
        SetNotReady("a1", "rejected", 3),
        Requeue("c1", "regular", "rejected", 3),
    ]
    assert cmds[3].agent_id == "a2" and cmds[3].contact_id == "c1"


def test_reject_without_not_ready_lets_agent_take_other_work():
    e = make(reject_sets_not_ready=False)
    e.agent_ready(0, "a1")
    (o,) = e.contact_arrived(2, "c1", "regular")
    cmds = e.offer_rejected(3, o.offer_id)
    assert [type(c) for c in cmds] == [OfferCancelled, Requeue, Offer]
    assert cmds[-1].contact_id == "c1"  # the only contact; the only agent


def test_abandon_while_waiting_and_while_ringing():
    e = make()
    e.contact_arrived(1, "c1", "regular")
    e.contact_arrived(2, "c2", "regular")
    assert e.contact_abandoned(3, "c1") == []
    assert e.waiting("regular") == ["c2"]
    assert e.waiting_count("regular") == 1
    (o,) = e.agent_ready(4, "a1")
    cmds = e.contact_abandoned(5, "c2")
    assert cmds == [OfferCancelled(o.offer_id, "c2", "a1", "abandoned", 5)]
    assert e.agent_state("a1") == "ready"
    assert e.contact_abandoned(6, "c2")[0].code == "contact_unknown"
    e.check()


def test_overflow_to_another_queue_fires_exactly_at_the_deadline():
    qs = (QueueConfig("regular", overflow=(OverflowRule(30, to_queue="expert"),)), QueueConfig("expert"))
    e = make(qs, (AgentConfig("x", {"expert": 3}),))
    e.contact_arrived(10, "c1", "regular")
    assert e.next_timer() == 40
    assert e.tick(39.999) == []
    assert e.tick(40) == [Overflow("c1", "regular", "expert", None, 40)]
    assert e.waiting("expert") == ["c1"]
    assert e.next_timer() is None
    (o,) = e.agent_ready(41, "x")
    assert o.queue == "expert"


def test_overflow_fires_at_its_deadline_even_if_the_driver_is_late():
    qs = (QueueConfig("regular", overflow=(OverflowRule(30, to_queue="expert"),)), QueueConfig("expert"))
    e = make(qs, (AgentConfig("x", {"expert": 3}),))
    e.contact_arrived(10, "c1", "regular")
    cmds = e.agent_ready(55, "x")
    assert cmds[0] == Overflow("c1", "regular", "expert", None, 40)
    assert cmds[1].contact_id == "c1" and cmds[1].agent_id == "x"


def test_tier_overflow_widens_the_agent_pool():
    q = QueueConfig("billing", tiers=("expert",), overflow=(OverflowRule(20, to_tier="A"),))
    agents = [AgentConfig("gen", {"billing": 2}, tier="A"), AgentConfig("exp", {"billing": 5}, tier="expert")]
    e = make((q,), agents)
    e.agent_ready(0, "gen")
    assert e.contact_arrived(1, "c1", "billing") == []  # generalist not allowed yet
    cmds = e.tick(21)
    assert cmds[0] == Overflow("c1", "billing", "billing", "A", 21)
    assert cmds[1].agent_id == "gen"


def test_ringing_contact_is_not_overflowed_but_overflows_on_return_when_overdue():
    qs = (QueueConfig("regular", overflow=(OverflowRule(5, to_queue="other"),)), QueueConfig("other"))
    e = make(qs, offer_timeout_s=10)
    e.agent_ready(0, "a1")
    (_o,) = e.contact_arrived(1, "c1", "regular")
    assert e.next_timer() == 11  # only the offer expiry
    cmds = e.tick(11)
    assert [type(c) for c in cmds] == [OfferCancelled, SetNotReady, Requeue, Overflow]
    assert cmds[-1] == Overflow("c1", "regular", "other", None, 11)


def test_pending_not_ready_applies_after_the_contact():
    e = make()
    e.agent_ready(0, "a1")
    (o,) = e.contact_arrived(1, "c1", "regular")
    e.offer_accepted(2, o.offer_id)
    assert e.agent_not_ready(3, "a1", "break") == []
    assert e.agent_state("a1") == "busy"
    e.contact_arrived(4, "c2", "regular")
    assert e.contact_ended(10, "c1") == [SetNotReady("a1", "break", 10)]
    assert e.waiting("regular") == ["c2"]


def test_acw_then_ready():
    e = make()
    e.agent_ready(0, "a1")
    (o,) = e.contact_arrived(1, "c1", "regular")
    e.offer_accepted(2, o.offer_id)
    e.contact_arrived(3, "c2", "regular")
    assert e.contact_ended(10, "c1", acw=True) == []
    assert e.agent_state("a1") == "acw"
    (o2,) = e.agent_ready(30, "a1")
    assert o2.contact_id == "c2"


def test_not_ready_or_logout_while_ringing_requeues_in_place():
    agents = [AgentConfig("a1", {"regular": 1}), AgentConfig("a2", {"regular": 1})]
    e = make(agents=agents)
    e.agent_ready(0, "a1")
    (o,) = e.contact_arrived(1, "c1", "regular")
    e.contact_arrived(2, "c2", "regular")
    cmds = e.agent_logged_out(3, "a1")
    assert cmds == [
        OfferCancelled(o.offer_id, "c1", "a1", "agent_logged_out", 3),
        Requeue("c1", "regular", "agent_logged_out", 3),
    ]
    assert e.agent_state("a1") == "logged_out"
    assert e.waiting("regular") == ["c1", "c2"]
    (_o2,) = e.agent_ready(4, "a2")
    cmds = e.agent_not_ready(5, "a2", "meeting")
    assert cmds[-1] == Requeue("c1", "regular", "agent_not_ready", 5)
    assert e.waiting("regular") == ["c1", "c2"]


def test_logout_while_busy_is_refused():
    e = make()
    e.agent_ready(0, "a1")
    (o,) = e.contact_arrived(1, "c1", "regular")
    e.offer_accepted(2, o.offer_id)
    assert e.agent_logged_out(3, "a1")[0].code == "agent_busy"
    assert e.agent_state("a1") == "busy"


def test_transfer_queues_the_contact_and_frees_the_agent():
    qs = (QueueConfig("regular"), QueueConfig("expert"))
    agents = [AgentConfig("a1", {"regular": 1}), AgentConfig("x", {"expert": 4})]
    e = make(qs, agents)
    e.agent_ready(0, "a1")
    (o,) = e.contact_arrived(1, "c1", "regular")
    e.offer_accepted(2, o.offer_id)
    e.agent_ready(3, "x")
    cmds = e.contact_transferred(10, "c1", "expert", acw=True)
    assert cmds[0] == Requeue("c1", "expert", "transfer", 10)
    assert cmds[1].agent_id == "x" and cmds[1].queue == "expert"
    assert e.agent_state("a1") == "acw"
    e.check()


def test_auto_answer_agent_connects_without_an_offer():
    e = make(agents=[AgentConfig("a1", {"regular": 1}, auto_answer=True)])
    e.agent_ready(0, "a1")
    (c,) = e.contact_arrived(1, "c1", "regular")
    assert isinstance(c, Connect) and c.agent_id == "a1"
    assert e.next_timer() is None


def test_unknown_things_are_rejected_not_raised():
    e = make()
    assert e.contact_arrived(0, "c", "nope")[0].code == "queue_unknown"
    assert e.agent_ready(0, "ghost")[0].code == "agent_unknown"
    assert e.contact_ended(0, "c")[0].code == "contact_unknown"
    e.contact_arrived(0, "c", "regular")
    assert e.contact_arrived(0, "c", "regular")[0].code == "contact_exists"
    assert e.contact_ended(0, "c")[0].code == "contact_not_connected"


def test_snapshot_restore_round_trip_through_json_keeps_order_and_timers():
    qs = (QueueConfig("regular", overflow=(OverflowRule(30, to_queue="expert"),)), QueueConfig("expert"))
    agents = [
        AgentConfig("a1", {"regular": 1}),
        AgentConfig("a2", {"regular": 1}),
        AgentConfig("x", {"expert": 2}),
    ]
    cfg = RoutingConfig(queues=qs, agents=tuple(agents))
    e = RoutingEngine(cfg)
    e.agent_ready(0, "a1")
    (o,) = e.contact_arrived(1, "c1", "regular")
    for i in range(2, 6):
        e.contact_arrived(i, f"c{i}", "regular", priority=i % 2)
    snap = json.loads(json.dumps(e.snapshot()))
    r = RoutingEngine.restore(cfg, snap)
    r.check()
    assert r.snapshot() == snap
    assert r.waiting("regular") == e.waiting("regular")
    assert r.next_timer() == e.next_timer()
    assert r.tick(40) == e.tick(40)  # the original and the restored engine continue identically
    assert r.snapshot() == e.snapshot()
    assert r.offer_accepted(41, o.offer_id)[0].code == "offer_closed"


def test_restore_with_more_agents_and_rebalance():
    cfg = RoutingConfig(queues=(QueueConfig("regular"),), agents=(AgentConfig("a1", {"regular": 1}),))
    e = RoutingEngine(cfg)
    e.contact_arrived(1, "c1", "regular")
    cfg2 = RoutingConfig(
        queues=cfg.queues, agents=(AgentConfig("a1", {"regular": 1}), AgentConfig("b", {"regular": 2}))
    )
    r = RoutingEngine.restore(cfg2, e.snapshot())
    assert r.rebalance(2) == []
    assert offers(r.agent_ready(3, "b"))[0].contact_id == "c1"


def test_events_and_commands_round_trip_as_dicts():
    for ev in (ContactArrived(1.5, "c1", "regular", 2), AgentReady(2, "a1")):
        assert event_from_dict(json.loads(json.dumps(event_to_dict(ev)))) == ev
    e = make()
    e.agent_ready(0, "a1")
    for ev in (ContactArrived(1, "c1", "regular"),):
        for cmd in e.handle(ev):
            assert command_from_dict(json.loads(json.dumps(command_to_dict(cmd)))) == cmd


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"queues": (QueueConfig("q"), QueueConfig("q"))}, "queues[1].id"),
        (
            {"queues": (QueueConfig("q", overflow=(OverflowRule(10, to_queue="zz"),)),)},
            "queues[0].overflow[0].to_queue",
        ),
        (
            {"queues": (QueueConfig("q", overflow=(OverflowRule(0, to_queue="q"),)),)},
            "queues[0].overflow[0].after_s",
        ),
        ({"queues": (QueueConfig("q", agent_selection="random"),)}, "queues[0].agent_selection"),
        ({"queues": (QueueConfig("q"),), "agents": (AgentConfig("a", {"q": 9}),)}, "agents[0].skills.q"),
        ({"queues": (QueueConfig("q"),), "agents": (AgentConfig("a", {"zz": 1}),)}, "agents[0].skills.zz"),
        (
            {"queues": (QueueConfig("q"),), "policy": RoutingPolicy(offer_timeout_s=0)},
            "policy.offer_timeout_s",
        ),
    ],
)
def test_invalid_config_names_the_field(kwargs, field):
    with pytest.raises(RoutingConfigError) as info:
        RoutingConfig(**kwargs)
    assert info.value.field == field
