"""Fixtures for the reports tests: the hand-checked KPI example (a copy of shared/data/kpi-example,
kept in the repo so that CI does not depend on shared/) read through our own CSV readers, and a
small factory for contacts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hotline.core.clock import LOCAL_TZ
from hotline.reports import contactlog, kpi

EXAMPLE = Path(__file__).resolve().parent / "kpi-example"


@dataclass(frozen=True)
class Example:
    dir: Path
    contacts: list[kpi.Contact]
    states: list[kpi.AgentStateSegment]
    schedule: list[kpi.ScheduleActivity]
    targets: dict[str, kpi.QueueTarget]
    provinces: list[kpi.ProvinceResult]


@pytest.fixture(scope="session")
def example() -> Example:
    return Example(
        EXAMPLE,
        contactlog.read_contacts(EXAMPLE / "contacts.csv"),
        contactlog.read_agent_states(EXAMPLE / "agent_states.csv"),
        contactlog.read_schedule(EXAMPLE / "schedule.csv"),
        contactlog.read_targets(EXAMPLE / "targets.csv"),
        contactlog.read_provinces(EXAMPLE / "provinces.csv"),
    )


BASE = datetime(2026, 3, 2, 9, 0, tzinfo=LOCAL_TZ)
TARGETS = {
    "vip": kpi.QueueTarget("vip", 15, 0.85, 5),
    "regular": kpi.QueueTarget("regular", 20, 0.75, 5),
}


@pytest.fixture
def make_contact() -> Callable[..., kpi.Contact]:
    """Build a valid contact from offsets in seconds: queued `at` after BASE, waiting `wait`,
    answered (talk/hold/acw) or abandoned; arrival `ivr` seconds before queueing."""
    counter = iter(range(1, 1_000_000))

    def make(
        *,
        at: float = 0,
        wait: float = 10,
        answered: bool = True,
        queue: str = "regular",
        talk: float = 100,
        hold: float = 0,
        acw: float = 20,
        ivr: float = 10,
        base: datetime = BASE,
        self_served: bool = False,
        **extra: Any,
    ) -> kpi.Contact:
        q = base + timedelta(seconds=at)
        fields: dict[str, Any] = {
            "contact_id": f"C{next(counter):06d}",
            "channel": "voice",
            "queue": queue,
            "customer_id": "",
            "customer_segment": "regular",
            "business_type": "billing",
            "arrived_at": q - timedelta(seconds=ivr),
        }
        if self_served:
            fields |= {"ended_at": q, "outcome": "self_served"}
        elif answered:
            a = q + timedelta(seconds=wait)
            te = a + timedelta(seconds=talk + hold)
            fields |= {
                "queued_at": q,
                "answered_at": a,
                "talk_end_at": te,
                "hold_s": hold,
                "acw_end_at": te + timedelta(seconds=acw),
                "ended_at": te,
                "agent_id": "A1",
                "team": "T1",
            }
        else:
            fields |= {
                "queued_at": q,
                "abandoned_at": q + timedelta(seconds=wait),
                "ended_at": q + timedelta(seconds=wait),
            }
        fields |= extra
        return kpi.Contact(**fields)

    return make
