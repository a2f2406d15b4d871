"""The pure skill-routing engine: configuration, events, commands and the engine itself.

    from hotline.contacts.routing import RoutingEngine, RoutingConfig, QueueConfig, AgentConfig
    engine = RoutingEngine(RoutingConfig(queues=(QueueConfig("regular"),), agents=(AgentConfig("a1", {"regular": 3}),)))
    engine.agent_ready(0.0, "a1")
    engine.contact_arrived(1.0, "c1", "regular")   # -> [Offer(offer_id=1, contact_id='c1', agent_id='a1', ...)]

See docs/reference/routing-engine.md.
"""

from hotline.contacts.routing.config import (
    AgentConfig,
    OverflowRule,
    QueueConfig,
    RoutingConfig,
    RoutingConfigError,
    RoutingPolicy,
)
from hotline.contacts.routing.engine import RoutingEngine
from hotline.contacts.routing.messages import (
    AgentLoggedOut,
    AgentNotReady,
    AgentReady,
    Command,
    Connect,
    ContactAbandoned,
    ContactArrived,
    ContactEnded,
    ContactTransferred,
    Event,
    Offer,
    OfferAccepted,
    OfferCancelled,
    OfferRejected,
    OfferTimedOut,
    Overflow,
    Rejected,
    Requeue,
    SetNotReady,
    Tick,
    command_from_dict,
    command_to_dict,
    event_from_dict,
    event_to_dict,
)

__all__ = [
    "AgentConfig",
    "AgentLoggedOut",
    "AgentNotReady",
    "AgentReady",
    "Command",
    "Connect",
    "ContactAbandoned",
    "ContactArrived",
    "ContactEnded",
    "ContactTransferred",
    "Event",
    "Offer",
    "OfferAccepted",
    "OfferCancelled",
    "OfferRejected",
    "OfferTimedOut",
    "Overflow",
    "OverflowRule",
    "QueueConfig",
    "Rejected",
    "Requeue",
    "RoutingConfig",
    "RoutingConfigError",
    "RoutingEngine",
    "RoutingPolicy",
    "SetNotReady",
    "Tick",
    "command_from_dict",
    "command_to_dict",
    "event_from_dict",
    "event_to_dict",
]
