"""The lifecycle state machine as data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.core.errors import IllegalTransition
from hotline.knowledge import rules


def test_the_happy_path_received_to_retired() -> None:
    state = "received"
    for action, expected in [("edit", "drafted"), ("review", "reviewed"), ("publish", "published"),
                             ("edit", "updated"), ("review", "reviewed"), ("publish", "published"),
                             ("retire", "retired")]:
        state = rules.transition(state, action).target
        assert state == expected


@pytest.mark.parametrize("state,action", [
    ("drafted", "publish"), ("received", "publish"), ("published", "review"), ("retired", "edit"),
    ("retired", "publish"), ("updated", "publish"), ("published", "reopen"),
])
def test_illegal_moves_raise(state: str, action: str) -> None:
    with pytest.raises(IllegalTransition):
        rules.transition(state, action)


def test_permissions_per_transition() -> None:
    assert rules.transition("reviewed", "publish").permission == "kb.publish"
    assert rules.transition("drafted", "review").permission == "kb.review"
    assert rules.transition("published", "edit").permission == "kb.edit"


@given(st.lists(st.sampled_from(rules.ACTIONS), max_size=30))
def test_any_action_sequence_stays_in_the_state_set_and_publishes_only_reviewed(actions: list[str]) -> None:
    state = "received"
    for action in actions:
        try:
            t = rules.transition(state, action)
        except IllegalTransition:
            assert action not in rules.actions_from(state)
            continue
        if t.target == "published":
            assert state == "reviewed"
        state = t.target
        assert state in rules.STATES


def test_diff_shows_changed_lines_only() -> None:
    d = rules.diff({"title": "旧标题", "body": "正文"}, {"title": "新标题", "body": "正文"}, old_label="v1", new_label="v2")
    assert "-title: 旧标题" in d and "+title: 新标题" in d and "body" not in d.replace("--- v1", "")
