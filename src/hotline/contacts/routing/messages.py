"""Routing engine inputs (events) and outputs (commands).

Events are what happened, with the time it happened (`at`, seconds on any monotonic axis, e.g. Unix
time). Commands are what the driver must now do. Both are plain immutable records; `to_dict` /
`from_dict` turn them into JSON-ready dicts (for an event log or a message bus).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, NamedTuple

# ---------------------------------------------------------------- events (driver -> engine)


@dataclass(frozen=True, slots=True)
class ContactArrived:
    type: ClassVar[str] = "contact_arrived"
    at: float
    contact_id: Hashable
    queue: str
    priority: int = 0


@dataclass(frozen=True, slots=True)
class AgentReady:
    type: ClassVar[str] = "agent_ready"
    at: float
    agent_id: Hashable


@dataclass(frozen=True, slots=True)
class AgentNotReady:
    type: ClassVar[str] = "agent_not_ready"
    at: float
    agent_id: Hashable
    reason: str = "other"


@dataclass(frozen=True, slots=True)
class AgentLoggedOut:
    type: ClassVar[str] = "agent_logged_out"
    at: float
    agent_id: Hashable


@dataclass(frozen=True, slots=True)
class OfferAccepted:
    type: ClassVar[str] = "offer_accepted"
    at: float
    offer_id: int
    agent_id: Hashable | None = None


@dataclass(frozen=True, slots=True)
class OfferRejected:
    type: ClassVar[str] = "offer_rejected"
    at: float
    offer_id: int
    agent_id: Hashable | None = None


@dataclass(frozen=True, slots=True)
class OfferTimedOut:
    type: ClassVar[str] = "offer_timed_out"
    at: float
    offer_id: int


@dataclass(frozen=True, slots=True)
class ContactAbandoned:
    type: ClassVar[str] = "contact_abandoned"
    at: float
    contact_id: Hashable


@dataclass(frozen=True, slots=True)
class ContactEnded:
    type: ClassVar[str] = "contact_ended"
    at: float
    contact_id: Hashable
    acw: bool = False


@dataclass(frozen=True, slots=True)
class ContactTransferred:
    type: ClassVar[str] = "contact_transferred"
    at: float
    contact_id: Hashable
    to_queue: str
    priority: int | None = None
    acw: bool = False


@dataclass(frozen=True, slots=True)
class Tick:
    type: ClassVar[str] = "tick"
    at: float


Event = (
    ContactArrived
    | AgentReady
    | AgentNotReady
    | AgentLoggedOut
    | OfferAccepted
    | OfferRejected
    | OfferTimedOut
    | ContactAbandoned
    | ContactEnded
    | ContactTransferred
    | Tick
)
EVENT_TYPES: dict[str, type] = {
    cls.type: cls
    for cls in (
        ContactArrived,
        AgentReady,
        AgentNotReady,
        AgentLoggedOut,
        OfferAccepted,
        OfferRejected,
        OfferTimedOut,
        ContactAbandoned,
        ContactEnded,
        ContactTransferred,
        Tick,
    )
}


# ---------------------------------------------------------------- commands (engine -> driver)


class Offer(NamedTuple):
    """Ring `agent_id` with `contact_id`; the offer is open while time < `expires_at` (None: no limit)."""

    offer_id: int
    contact_id: Hashable
    agent_id: Hashable
    queue: str
    expires_at: float | None
    at: float


class Connect(NamedTuple):
    """The agent has the contact (offer accepted, or offered to an auto-answer agent): start talking."""

    offer_id: int
    contact_id: Hashable
    agent_id: Hashable
    queue: str
    at: float


class OfferCancelled(NamedTuple):
    """Stop ringing: reason is timeout, rejected, abandoned, agent_not_ready or agent_logged_out."""

    offer_id: int
    contact_id: Hashable
    agent_id: Hashable
    reason: str
    at: float


class Requeue(NamedTuple):
    """The contact is waiting again in `queue` (reason rona, rejected, agent_not_ready, agent_logged_out, transfer)."""

    contact_id: Hashable
    queue: str
    reason: str
    at: float


class Overflow(NamedTuple):
    """An overflow rule fired: the contact moved to `to_queue`, or (same queue) widened to `to_tier`."""

    contact_id: Hashable
    from_queue: str
    to_queue: str
    to_tier: str | None
    at: float


class SetNotReady(NamedTuple):
    """Put the agent in not-ready with `reason` (rona, rejected, or a not-ready asked for during a contact)."""

    agent_id: Hashable
    reason: str
    at: float


class Rejected(NamedTuple):
    """The event was refused and changed nothing. `code` is stable; `detail` is for people."""

    event: str
    code: str
    detail: str
    at: float


Command = Offer | Connect | OfferCancelled | Requeue | Overflow | SetNotReady | Rejected
COMMAND_TYPES: dict[str, type] = {
    "offer": Offer,
    "connect": Connect,
    "offer_cancelled": OfferCancelled,
    "requeue": Requeue,
    "overflow": Overflow,
    "set_not_ready": SetNotReady,
    "rejected": Rejected,
}
_COMMAND_NAMES = {cls: name for name, cls in COMMAND_TYPES.items()}


def event_to_dict(event: Event) -> dict[str, Any]:
    return {"type": event.type, **asdict(event)}


def event_from_dict(data: dict[str, Any]) -> Event:
    data = dict(data)
    cls = EVENT_TYPES[data.pop("type")]
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def command_to_dict(command: Command) -> dict[str, Any]:
    return {"type": _COMMAND_NAMES[type(command)], **command._asdict()}


def command_from_dict(data: dict[str, Any]) -> Command:
    data = dict(data)
    return COMMAND_TYPES[data.pop("type")](**data)
