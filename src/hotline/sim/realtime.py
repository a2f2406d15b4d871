"""Wall-clock driving of the simulator: a pacer and event sinks.

`simulate(..., pace=WallPacer(factor), observer=sink)` runs the same replication at `factor` times
real speed and hands every event and routing command to `sink` as a JSON-ready dict. The live
server connects its own sink (e.g. one that posts arrivals to the contact service); `JsonLinesSink`
prints one JSON object per line.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO


class WallPacer:
    """Before the simulator acts at virtual time t, sleep until wall time start + t / factor."""

    def __init__(
        self,
        factor: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not factor > 0:
            raise ValueError("factor: must be > 0")
        self.factor = factor
        self._monotonic = monotonic
        self._sleep = sleep
        self._wall0: float | None = None

    def __call__(self, t: float) -> None:
        now = self._monotonic()
        if self._wall0 is None:
            self._wall0 = now - t / self.factor
        delay = self._wall0 + t / self.factor - now
        if delay > 0:
            self._sleep(delay)


class JsonLinesSink:
    """Write each record as one line of JSON to a stream (stdout by default) and flush."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def __call__(self, record: dict[str, Any]) -> None:
        out = self.stream or sys.stdout
        out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
        out.flush()
