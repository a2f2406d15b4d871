"""Routing configuration: queues, agents, overflow rules and policies (immutable, validated)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Literal

AgentSelection = Literal["longest_idle", "best_skill"]
AGENT_SELECTIONS: tuple[str, ...] = ("longest_idle", "best_skill")
MIN_SKILL_LEVEL = 1
MAX_SKILL_LEVEL = 5


class RoutingConfigError(ValueError):
    """A routing configuration is invalid; `field` names the offending setting."""

    def __init__(self, field: str, msg: str) -> None:
        super().__init__(f"{field}: {msg}")
        self.field = field
        self.msg = msg


@dataclass(frozen=True, slots=True)
class OverflowRule:
    """After `after_s` seconds in the queue, move the contact to `to_queue`, or widen it to `to_tier`.

    Exactly one of `to_queue` / `to_tier` is set. The clock starts when the contact entered the queue
    (an unanswered offer does not restart it).
    """

    after_s: float
    to_queue: str | None = None
    to_tier: str | None = None


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """One queue. `priority` adds to each contact's own priority (higher is served first).

    `tiers` limits which agent tiers serve the queue at first (None: any agent with the skill);
    overflow rules with `to_tier` widen it while the contact waits. `sl_threshold_s`, `sl_target`
    and `abandon_cap` are targets for the wallboard and the simulator; routing does not read them.
    """

    id: str
    priority: int = 0
    sl_threshold_s: float = 20.0
    sl_target: float = 0.8
    abandon_cap: float | None = None
    overflow: tuple[OverflowRule, ...] = ()
    tiers: tuple[str, ...] | None = None
    agent_selection: AgentSelection = "longest_idle"


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """One agent: skills map queue id -> level 1..5 (5 is the most proficient), a tier, auto-answer."""

    id: Hashable
    skills: Mapping[str, int]
    tier: str = ""
    auto_answer: bool = False


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """Centre-wide policy. `offer_timeout_s=None` means offers never time out."""

    offer_timeout_s: float | None = 15.0
    reject_sets_not_ready: bool = True


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """Everything the engine needs to know that is not state. Validated on construction."""

    queues: tuple[QueueConfig, ...]
    agents: tuple[AgentConfig, ...] = ()
    policy: RoutingPolicy = field(default_factory=RoutingPolicy)

    def __post_init__(self) -> None:
        object.__setattr__(self, "queues", tuple(self.queues))
        object.__setattr__(self, "agents", tuple(self.agents))
        validate(self)

    def queue(self, queue_id: str) -> QueueConfig:
        for q in self.queues:
            if q.id == queue_id:
                return q
        raise KeyError(queue_id)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate(config: RoutingConfig) -> None:
    """Raise RoutingConfigError naming the first invalid field."""
    ids: set[str] = set()
    for i, q in enumerate(config.queues):
        where = f"queues[{i}]"
        if not isinstance(q.id, str) or not q.id:
            raise RoutingConfigError(f"{where}.id", "must be a non-empty string")
        if q.id in ids:
            raise RoutingConfigError(f"{where}.id", f"duplicate queue id {q.id!r}")
        ids.add(q.id)
        if not isinstance(q.priority, int) or isinstance(q.priority, bool):
            raise RoutingConfigError(f"{where}.priority", "must be an integer")
        if not _finite(q.sl_threshold_s) or q.sl_threshold_s < 0:
            raise RoutingConfigError(f"{where}.sl_threshold_s", "must be a number >= 0")
        if not _finite(q.sl_target) or not 0 <= q.sl_target <= 1:
            raise RoutingConfigError(f"{where}.sl_target", "must be between 0 and 1")
        if q.abandon_cap is not None and (not _finite(q.abandon_cap) or not 0 <= q.abandon_cap <= 1):
            raise RoutingConfigError(f"{where}.abandon_cap", "must be between 0 and 1")
        if q.agent_selection not in AGENT_SELECTIONS:
            raise RoutingConfigError(
                f"{where}.agent_selection", f"must be one of {', '.join(AGENT_SELECTIONS)}"
            )
        if q.tiers is not None and (not q.tiers or not all(isinstance(t, str) for t in q.tiers)):
            raise RoutingConfigError(f"{where}.tiers", "must be a non-empty list of tier names or null")
        last = 0.0
        for j, rule in enumerate(q.overflow):
            rw = f"{where}.overflow[{j}]"
            if not _finite(rule.after_s) or rule.after_s <= 0:
                raise RoutingConfigError(f"{rw}.after_s", "must be a number > 0")
            if rule.after_s < last:
                raise RoutingConfigError(f"{rw}.after_s", "rules must be in increasing order of after_s")
            last = rule.after_s
            if (rule.to_queue is None) == (rule.to_tier is None):
                raise RoutingConfigError(rw, "set exactly one of to_queue and to_tier")
            if rule.to_queue is not None and j != len(q.overflow) - 1:
                raise RoutingConfigError(
                    f"{rw}.to_queue", "an overflow to another queue must be the last rule"
                )
            if rule.to_queue == q.id:
                raise RoutingConfigError(f"{rw}.to_queue", "cannot overflow a queue to itself")
            if rule.to_tier is not None and q.tiers is None:
                raise RoutingConfigError(f"{rw}.to_tier", "the queue has no tiers to widen (tiers is null)")
    for i, q in enumerate(config.queues):
        for j, rule in enumerate(q.overflow):
            if rule.to_queue is not None and rule.to_queue not in ids:
                raise RoutingConfigError(
                    f"queues[{i}].overflow[{j}].to_queue", f"unknown queue {rule.to_queue!r}"
                )
    agent_ids: set[Hashable] = set()
    for i, a in enumerate(config.agents):
        where = f"agents[{i}]"
        if a.id in agent_ids:
            raise RoutingConfigError(f"{where}.id", f"duplicate agent id {a.id!r}")
        agent_ids.add(a.id)
        if not isinstance(a.tier, str):
            raise RoutingConfigError(f"{where}.tier", "must be a string")
        for qid, level in a.skills.items():
            if qid not in ids:
                raise RoutingConfigError(f"{where}.skills.{qid}", "unknown queue")
            if (
                not isinstance(level, int)
                or isinstance(level, bool)
                or not MIN_SKILL_LEVEL <= level <= MAX_SKILL_LEVEL
            ):
                raise RoutingConfigError(f"{where}.skills.{qid}", "level must be an integer from 1 to 5")
    t = config.policy.offer_timeout_s
    if t is not None and (not _finite(t) or t <= 0):
        raise RoutingConfigError("policy.offer_timeout_s", "must be a number > 0 or null")
