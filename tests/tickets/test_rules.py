"""The transition table, priority, SLA limits and escalation times (pure)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.core.bizcal import LOCAL_TZ
from hotline.core.errors import IllegalTransition, InvalidInput
from hotline.tickets import rules

HAPPY_PATH = ["frontline_try", "to_expert", "dispatch", "redispatch", "return", "dispatch", "reply", "callback", "archive"]


def walk(type_: str, actions: list[str]) -> list[str]:
    state, prev, seen = "created", None, []
    for action in actions:
        new = rules.next_state(type=type_, state=state, action=action, previous=prev)
        prev = state if action == "suspend" else prev
        state = new
        seen.append(state)
    return seen


def test_closed_loop_of_a_complaint() -> None:
    assert walk("complaint", HAPPY_PATH) == [
        "frontline_tried", "expert", "dispatched", "dispatched", "returned", "dispatched", "replied",
        "called_back", "archived",
    ]


def test_fault_cannot_skip_the_expert_but_a_consultation_may() -> None:
    with pytest.raises(IllegalTransition) as exc:
        rules.next_state(type="fault", state="frontline_tried", action="dispatch")
    assert exc.value.details == {"state": "frontline_tried", "action": "dispatch"}
    assert exc.value.http_status == 409
    assert rules.next_state(type="consultation", state="frontline_tried", action="dispatch") == "dispatched"


def test_no_archive_without_callback_and_reopen_on_dissatisfaction() -> None:
    with pytest.raises(IllegalTransition):
        rules.next_state(type="fault", state="replied", action="archive")
    assert rules.after_callback("dissatisfied") == "reopen"
    assert rules.after_callback("satisfied") == "archive"
    assert rules.next_state(type="fault", state="called_back", action="reopen") == "expert"
    with pytest.raises(InvalidInput):
        rules.after_callback("meh")


def test_suspend_and_resume_to_the_previous_state() -> None:
    assert walk("fault", ["frontline_try", "to_expert", "dispatch", "suspend", "resume", "reply"])[-3:] == [
        "suspended", "dispatched", "replied",
    ]
    with pytest.raises(IllegalTransition):
        rules.next_state(type="fault", state="suspended", action="resume", previous=None)
    with pytest.raises(IllegalTransition):
        rules.next_state(type="fault", state="archived", action="suspend")


@given(st.sampled_from(rules.TYPES), st.lists(st.sampled_from(rules.ACTIONS), max_size=25))
def test_any_action_sequence_stays_in_known_states_or_raises(type_: str, actions: list[str]) -> None:
    state, prev = "created", None
    for action in actions:
        legal = action in rules.allowed_actions(type=type_, state=state)
        try:
            new = rules.next_state(type=type_, state=state, action=action, previous=prev)
        except IllegalTransition:
            assert not legal or state == "suspended"
            continue
        assert legal and new in rules.STATES
        prev = state if action == "suspend" else prev
        state = new
    assert state in rules.STATES


def test_every_state_is_reachable_and_archived_only_by_archive() -> None:
    targets = {m.target for m in rules.TRANSITIONS}
    assert set(rules.STATES) - {"created"} <= targets | {"suspended"}
    assert {m.action for m in rules.TRANSITIONS if m.target == "archived"} == {"archive"}


def test_priority() -> None:
    assert rules.priority(type="suggestion") == "low"
    assert rules.priority(type="consultation") == "normal"
    assert rules.priority(type="complaint") == "high"
    assert rules.priority(type="complaint", segment="vip", vip_level="gold") == "urgent"
    assert rules.priority(type="consultation", repeat_contacts=1) == "high"
    assert rules.priority(type="suggestion", repeat_contacts=3) == "high"
    with pytest.raises(InvalidInput) as exc:
        rules.priority(type="nonsense")
    assert exc.value.details["field"] == "type"


def test_sla_limits_shrink_with_priority() -> None:
    limits = [rules.sla_limit(type="fault", priority=p, step="department") for p in rules.PRIORITIES]
    assert limits == sorted(limits, reverse=True)
    assert rules.sla_limit(type="fault", priority="normal", step="department") == timedelta(hours=8)
    assert rules.calendar_mode(type="fault", priority="urgent") == "24x7"
    assert rules.calendar_mode(type="fault", priority="high") == "business"


def test_escalations_are_ordered_and_follow_the_calendar() -> None:
    from datetime import datetime

    start = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)  # Monday
    levels = rules.escalations(started_at=start, limit=timedelta(hours=4), mode="business")
    assert [d.level for d in levels] == [1, 2, 3]
    assert [d.audience for d in levels] == ["team_leader", "department_head", "centre_manager"]
    assert levels[0].fire_at == datetime(2026, 3, 2, 14, 30, tzinfo=LOCAL_TZ)  # 3 h morning + 1 h after lunch
    assert levels[1].fire_at == datetime(2026, 3, 2, 16, 30, tzinfo=LOCAL_TZ)
    assert levels[2].fire_at == datetime(2026, 3, 3, 9, 30, tzinfo=LOCAL_TZ)
    fast = rules.escalations(started_at=start, limit=timedelta(hours=4), mode="24x7")
    assert fast[0].fire_at == datetime(2026, 3, 2, 13, 0, tzinfo=LOCAL_TZ)


def test_joint_status() -> None:
    assert rules.joint_status([]) == "none"
    assert rules.joint_status(["archived", "dispatched"]) == "open"
    assert rules.joint_status(["archived", "replied"]) == "replied"
    assert rules.joint_status(["archived", "archived"]) == "closed"
