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


class Transfer(_Model):
    """After the talk (and hold), a share of answered contacts is transferred to another queue."""

    to_queue: Annotated[str, Field(min_length=1)]
    probability: Annotated[float, Field(ge=0, le=1)]


class Queue(_Model):
    name: Annotated[str, Field(min_length=1)]
    arrivals_per_hour: NonNegFloat | list[NonNegFloat] = 0.0
    aht_s: PosFloat | None = None
    handle_time: Distribution | None = None
    talk: Distribution | None = None
    hold: Distribution | None = None
    acw: Distribution | None = None
    transfers: list[Transfer] = []
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
        if sum(x is not None for x in (self.aht_s, self.handle_time, self.talk)) != 1:
            raise ValueError(
                "aht_s: give exactly one of aht_s (exponential mean), handle_time, or talk (with hold and acw)"
            )
        if self.talk is None and (self.hold is not None or self.acw is not None):
            raise ValueError("talk: hold and acw are parts of a handle split: give talk too")
        if sum(t.probability for t in self.transfers) > 1 + 1e-9:
            raise ValueError("transfers: the probabilities add up to more than 1")
        if self.patience_s is not None and self.patience is not None:
            raise ValueError("patience_s: give patience_s or patience, not both")
        if isinstance(self.arrivals_per_hour, list) and not self.arrivals_per_hour:
            raise ValueError("arrivals_per_hour: the rate profile is empty")
        return self

    @property
    def handle(self) -> Distribution:
        """The talk time when split (hold and ACW apart), else the whole handle time."""
        return self.talk or self.handle_time or Distribution(dist="exponential", mean_s=self.aht_s)

    @property
    def mean_handle_s(self) -> float:
        """Mean of talk + hold + ACW (the AHT of KPI.md)."""
        return sum(d.mean for d in (self.handle, self.hold, self.acw) if d is not None)

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


class Break(_Model):
    """A break `after_s` seconds into each shift (from 0 without shifts), agent k of n starting
    `stagger_s * k / n` later; it lasts `duration_s` from when the agent is free to take it."""

    after_s: NonNegFloat
    duration_s: PosFloat
    stagger_s: NonNegFloat = 0.0
    reason: Literal["break", "training", "meeting", "qa", "other"] = "break"


class NotReady(_Model):
    """Unplanned not-ready episodes: each logged-in agent goes not ready after `interval` (from login
    or the end of the last episode) for `duration`."""

    interval: Distribution
    duration: Distribution
    reason: Literal["break", "training", "meeting", "qa", "other"] = "other"


class AgentGroup(_Model):
    count: Annotated[int, Field(ge=0)]
    skills: dict[str, Annotated[int, Field(ge=1, le=5)]]
    name: str | None = None
    tier: str = ""
    shifts: list[Shift] | None = None
    breaks: list[Break] = []
    not_ready: NotReady | None = None

    @model_validator(mode="after")
    def _check(self) -> AgentGroup:
        if not self.skills:
            raise ValueError("skills: an agent group needs at least one skill")
        for i, (a, b) in enumerate(zip(self.shifts or [], (self.shifts or [])[1:], strict=False)):
            if b.start_s < a.end_s:
                raise ValueError(f"shifts.{i + 1}.start_s: shifts must be in order and not overlap")
        return self


class IvrPath(_Model):
    """One branch of the IVR: taken with `probability`; `self_serve` of those finish in the IVR,
    the others queue at `queue` after their IVR time."""

    queue: Annotated[str, Field(min_length=1)]
    probability: Annotated[float, Field(ge=0, le=1)]
    self_serve: Annotated[float, Field(ge=0, le=1)] = 0.0
    ivr_time_s: NonNegFloat | None = None
    ivr_time: Distribution | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _check(self) -> IvrPath:
        if self.ivr_time_s is not None and self.ivr_time is not None:
            raise ValueError("ivr_time_s: give ivr_time_s or ivr_time, not both")
        return self

    @property
    def time_dist(self) -> Distribution | None:
        """The IVR time; None for none."""
        if self.ivr_time is not None:
            return self.ivr_time
        return Distribution(dist="constant", mean_s=self.ivr_time_s) if self.ivr_time_s else None


class Ivr(_Model):
    """Contacts that enter through the IVR (on top of the queues' own arrivals)."""

    arrivals_per_hour: NonNegFloat | list[NonNegFloat]
    paths: Annotated[list[IvrPath], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> Ivr:
        total = sum(p.probability for p in self.paths)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"paths: the probabilities must add up to 1 (they add up to {total:g})")
        if isinstance(self.arrivals_per_hour, list) and not self.arrivals_per_hour:
            raise ValueError("arrivals_per_hour: the rate profile is empty")
        return self


class ArrivalsFrom(_Model):
    """Per-interval arrivals read from a CSV: a forecast (`interval_start,calls[,queue]`, the
    `hotline wfm forecast` output) or a recorded day (a contact-log CSV, KPI.md §1)."""

    forecast_csv: str | None = None
    contact_log: str | None = None
    date: str | None = None

    @model_validator(mode="after")
    def _check(self) -> ArrivalsFrom:
        if (self.forecast_csv is None) == (self.contact_log is None):
            raise ValueError("forecast_csv: give forecast_csv or contact_log, not both or neither")
        return self


class Scenario(_Model):
    description: str | None = None
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
    ivr: Ivr | None = None
    arrivals_from: ArrivalsFrom | None = None

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if self.warmup_s >= self.duration_s:
            raise ValueError("warmup_s: must be shorter than duration_s")
        names = [q.name for q in self.queues]
        for i, name in enumerate(names):
            if name in names[:i]:
                raise ValueError(f"queues.{i}.name: duplicate queue {name!r}")
        for i, q in enumerate(self.queues):
            for j, tr in enumerate(q.transfers):
                if tr.to_queue not in names:
                    raise ValueError(f"queues.{i}.transfers.{j}.to_queue: unknown queue {tr.to_queue!r}")
        for j, path in enumerate(self.ivr.paths if self.ivr else ()):
            if path.queue not in names:
                raise ValueError(f"ivr.paths.{j}.queue: unknown queue {path.queue!r}")
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


def parse(data: Any, *, base_dir: str | Path | None = None) -> Scenario:
    """Validate a scenario given as plain data; raise ScenarioError naming each bad field.

    `arrivals_from` files are read relative to `base_dir` (the scenario file's folder)."""
    try:
        sc = Scenario.model_validate(data)
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
    return sc if sc.arrivals_from is None else with_profiles(sc, base_dir)


def with_profiles(sc: Scenario, base_dir: str | Path | None) -> Scenario:
    """The scenario with `arrivals_from` read into the queues' (or the IVR's) rate profiles."""
    from hotline.sim import profiles

    src = sc.arrivals_from
    assert src is not None
    field, name = ("forecast_csv", src.forecast_csv) if src.forecast_csv else ("contact_log", src.contact_log)
    assert name is not None
    path = Path(base_dir or ".") / name
    reader = profiles.from_forecast if src.forecast_csv else profiles.from_contact_log
    try:
        _day, found = reader(path, day=src.date, interval_s=sc.interval_s)
    except (profiles.ProfileError, ValueError) as exc:
        raise ScenarioError(f"invalid scenario:\n  arrivals_from.{field}: {exc}") from None
    names = {q.name for q in sc.queues}
    update: dict[str, Any] = {}
    if None in found:  # no queue column: the IVR's arrivals, else the only queue's
        if sc.ivr is not None:
            update["ivr"] = sc.ivr.model_copy(update={"arrivals_per_hour": found.pop(None)})
        elif len(sc.queues) == 1:
            found[sc.queues[0].name] = found.pop(None)
        else:
            raise ScenarioError(
                f"invalid scenario:\n  arrivals_from.{field}: the file has no queue column and the "
                "scenario has several queues and no ivr"
            )
    unknown = sorted(set(found) - names - {None})
    if unknown:
        raise ScenarioError(f"invalid scenario:\n  arrivals_from.{field}: unknown queue {unknown[0]!r}")
    update["queues"] = [
        q.model_copy(update={"arrivals_per_hour": found[q.name]}) if q.name in found else q for q in sc.queues
    ]
    return sc.model_copy(update=update)


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
    return parse(data, base_dir=Path(path).parent)
