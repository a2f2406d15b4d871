"""PURE lifecycle rules: the transition table (data), article kinds, and version diffs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from hotline.core.errors import IllegalTransition

STATES = ("received", "drafted", "reviewed", "published", "updated", "retired")
KINDS = ("qa", "product", "notice", "flow", "script", "faq")
LIVE_STATES = ("published", "updated")  # an updated article stays live with its published version


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    permission: str


def _t(action: str, sources: str, target: str, permission: str) -> Transition:
    return Transition(action, frozenset(sources.split()), target, permission)


# received (from a business notice) → drafted → reviewed → published → updated → … → retired
TRANSITIONS: tuple[Transition, ...] = (
    _t("edit", "received drafted reviewed", "drafted", "kb.edit"),
    _t("edit", "published updated", "updated", "kb.edit"),
    _t("review", "drafted updated", "reviewed", "kb.review"),
    _t("reject", "reviewed", "drafted", "kb.review"),
    _t("publish", "reviewed", "published", "kb.publish"),
    _t("retire", "received drafted reviewed published updated", "retired", "kb.publish"),
    _t("reopen", "retired", "drafted", "kb.manage"),
)
ACTIONS = tuple(dict.fromkeys(t.action for t in TRANSITIONS))


def transition(state: str, action: str) -> Transition:
    """The transition an action takes from a state; IllegalTransition if there is none."""
    for t in TRANSITIONS:
        if t.action == action and state in t.sources:
            return t
    raise IllegalTransition(f"cannot {action} an article that is {state}", state=state, action=action)


def actions_from(state: str) -> list[str]:
    """Actions possible from a state (before permissions)."""
    return [t.action for t in TRANSITIONS if state in t.sources]


SNAPSHOT_FIELDS = (
    "title", "kind", "question", "body", "answer_plain", "keywords", "business_types",
    "category_l1", "category_l2", "category_l3", "effective_from", "effective_to", "related", "flow",
)


def render(snapshot: dict[str, Any]) -> list[str]:
    """A snapshot as lines of text for diffing."""
    lines: list[str] = []
    for f in SNAPSHOT_FIELDS:
        value = snapshot.get(f)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        lines.extend(f"{f}: {line}" for line in str(value if value is not None else "").splitlines() or [""])
    return lines


def diff(old: dict[str, Any] | None, new: dict[str, Any], *, old_label: str, new_label: str) -> str:
    """Unified diff between two snapshots."""
    return "\n".join(
        difflib.unified_diff(render(old or {}), render(new), old_label, new_label, lineterm="", n=1)
    )
