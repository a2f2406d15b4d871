"""Simulator scenarios: YAML in, validated pydantic models out, errors that name the field.

The format is documented in docs/reference/sim-scenario.md. Everything but `duration_s`, `queues`
and `agents` is optional.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hotline.contacts.routing import (
    AgentConfig,
    OverflowRule,
    QueueConfig,
    RoutingConfig,
    RoutingConfigError,
    RoutingPolicy,
)

PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Distribution(_Model):
    """A duration distribution in seconds."""

    dist: Literal["exponential", "lognormal", "empirical", "constant"] = "exponential"
    mean_s: PosFloat | None = None
    sd_s: PosFloat | None = None
    values_s: list[NonNegFloat] | None = None

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        if self.dist == "empirical":
            if not self.values_s:
                raise ValueError("values_s: an empirical distribution needs a non-empty list of durations")
        elif self.mean_s is None:
            raise ValueError(f"mean_s: required for a {self.dist} distribution")
        if self.dist == "lognormal" and self.sd_s is None:
            raise ValueError("sd_s: required for a lognormal distribution")
        return self

    @property
    def mean(self) -> float:
        if self.dist == "empirical":
            assert self.values_s
            return sum(self.values_s) / len(self.values_s)
        assert self.mean_s is not None
        return self.mean_s


class Overflow(_Model):
    after_s: PosFloat
    to_queue: str | None = None
    to_tier: str | None = None


class Queue(_Model):
    name: Annotated[str, Field(min_length=1)]
    arrivals_per_hour: NonNegFloat | list[NonNegFloat]
    aht_s: PosFloat | None = None
    handle_time: Distribution | None = None
    patience_s: PosFloat | None = None
    patience: Distribution | None = None
    sl_threshold_s: NonNegFloat = 20.0
    sl_target: Annotated[float, Field(ge=0, le=1)] = 0.8
    abandon_cap: Annotated[float, Field(ge=0, le=1)] | None = None
    priority: int = 0
    vip_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    vip_priority: int = 10
    overflow: list[Overflow] = []
    tiers: list[str] | None = None
    agent_selection: Literal["longest_idle", "best_skill"] = "longest_idle"

    @model_validator(mode="after")
    def _check(self) -> Queue:
        if (self.aht_s is None) == (self.handle_time is None):
            raise ValueError(
                "aht_s: give either aht_s (exponential mean) or handle_time, not both or neither"
            )
        if self.patience_s is not None and self.patience is not None:
            raise ValueError("patience_s: give patience_s or patience, not both")
        if isinstance(self.arrivals_per_hour, list) and not self.arrivals_per_hour:
            raise ValueError("arrivals_per_hour: the rate profile is empty")
        return self

    @property
    def handle(self) -> Distribution:
        return self.handle_time or Distribution(dist="exponential", mean_s=self.aht_s)

    @property
    def patience_dist(self) -> Distribution | None:
        if self.patience is not None:
            return self.patience
        if self.patience_s is not None:
            return Distribution(dist="exponential", mean_s=self.patience_s)
        return None


class Shift(_Model):
    start_s: NonNegFloat
    end_s: PosFloat

    @model_validator(mode="after")
    def _check(self) -> Shift:
        if self.end_s <= self.start_s:
            raise ValueError("end_s: must be after start_s")
        return self


class AgentGroup(_Model):
    count: Annotated[int, Field(ge=0)]
    skills: dict[str, Annotated[int, Field(ge=1, le=5)]]
    name: str | None = None
    tier: str = ""
    shifts: list[Shift] | None = None

    @model_validator(mode="after")
    def _check(self) -> AgentGroup:
        if not self.skills:
            raise ValueError("skills: an agent group needs at least one skill")
        for i, (a, b) in enumerate(zip(self.shifts or [], (self.shifts or [])[1:], strict=False)):
            if b.start_s < a.end_s:
                raise ValueError(f"shifts.{i + 1}.start_s: shifts must be in order and not overlap")
        return self


class Scenario(_Model):
    duration_s: PosFloat
    warmup_s: NonNegFloat = 0.0
    seed: int = 0
    replications: Annotated[int, Field(ge=1)] = 1
    interval_s: PosFloat = 1800.0
    short_abandon_s: NonNegFloat = 0.0
    answer_delay_s: NonNegFloat = 0.0
    offer_timeout_s: PosFloat | None = 15.0
    queues: Annotated[list[Queue], Field(min_length=1)]
    agents: Annotated[list[AgentGroup], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if self.warmup_s >= self.duration_s:
            raise ValueError("warmup_s: must be shorter than duration_s")
        names = [q.name for q in self.queues]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"queues.{i}.name: duplicate queue {name!r}")
        for g, group in enumerate(self.agents):
            for qname in group.skills:
                if qname not in names:
                    raise ValueError(f"agents.{g}.skills.{qname}: unknown queue")
        try:
            self.routing_config()
        except RoutingConfigError as exc:
            raise ValueError(f"{exc.field.replace('[', '.').replace(']', '')}: {exc.msg}") from None
        return self

    def agent_ids(self) -> list[tuple[str, AgentGroup]]:
        out = []
        for g, group in enumerate(self.agents):
            prefix = group.name or f"g{g}"
            out.extend((f"{prefix}-{i}", group) for i in range(group.count))
        return out

    def routing_config(self) -> RoutingConfig:
        """The live routing configuration this scenario describes (sim agents auto-answer when no delay)."""
        auto = self.answer_delay_s == 0
        return RoutingConfig(
            queues=tuple(
                QueueConfig(
                    q.name,
                    priority=q.priority,
                    sl_threshold_s=q.sl_threshold_s,
                    sl_target=q.sl_target,
                    abandon_cap=q.abandon_cap,
                    overflow=tuple(OverflowRule(o.after_s, o.to_queue, o.to_tier) for o in q.overflow),
                    tiers=None if q.tiers is None else tuple(q.tiers),
                    agent_selection=q.agent_selection,
                )
                for q in self.queues
            ),
            agents=tuple(
                AgentConfig(aid, dict(g.skills), g.tier, auto_answer=auto) for aid, g in self.agent_ids()
            ),
            policy=RoutingPolicy(offer_timeout_s=self.offer_timeout_s),
        )


class ScenarioError(ValueError):
    """A scenario file is invalid; the message names the field(s)."""


_TAG = re.compile(r"^(function-\w+(\[.*\])?|constrained-\w+|\w+\[.*\]|float|int|str|bool|none|list|dict)$")


def _loc(loc: tuple[Any, ...]) -> str:
    """A pydantic error location without its validator and union-branch tags: queues.0.aht_s."""
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and _TAG.match(p)))


def parse(data: Any) -> Scenario:
    """Validate a scenario given as plain data; raise ScenarioError naming each bad field."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines: list[str] = []
        seen: set[str] = set()
        for err in exc.errors():
            where = _loc(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if ":" in msg.split(" ")[0]:  # our validators lead with the field name
                field, _, rest = msg.partition(": ")
                where = f"{where}.{field}" if where else field
                msg = rest
            if where not in seen:  # one line per field (a union reports each branch)
                seen.add(where)
                lines.append(f"{where or '(scenario)'}: {msg}")
        raise ScenarioError("invalid scenario:\n  " + "\n  ".join(lines)) from None


def load(path: str | Path) -> Scenario:
    """Read and validate a YAML scenario file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a YAML mapping (duration_s, queues, agents, ...)")
    return parse(data)
