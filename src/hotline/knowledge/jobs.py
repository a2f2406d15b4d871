"""Knowledge background work in every server process: warm the search caches at start-up (so the first
agent queries are as fast as the rest), and retire articles whose effective period has ended."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.orm import sessionmaker

from hotline.core.clock import Clock
from hotline.core.db import transaction
from hotline.knowledge import index, service

log = logging.getLogger("hotline.knowledge")
SCHEDULE_EVERY_S = 300


def warm(factory: sessionmaker[Any]) -> int:
    """Load the analyzer and the lists of the commonest index tokens."""
    with factory() as session:
        service.analyzer_for(session).query("预热")
        return index.warm(session)


def expire(factory: sessionmaker[Any], clock: Clock) -> list[str]:
    """Retire live articles past their effective-to date (one transaction, audited)."""
    with transaction(factory) as session:
        return service.apply_schedule(session, at=clock.now())


def install(app: Any) -> None:
    """Start the warm-up and the expiry loop with the server."""

    async def knowledge_jobs(app: Any) -> None:
        try:
            n = await asyncio.to_thread(warm, app.state.sessionmaker)
            log.info("knowledge search warmed: %d token lists", n)
        except Exception:  # search still works, only the first queries are slower
            log.exception("knowledge warm-up failed")
        while True:
            try:
                retired = await asyncio.to_thread(expire, app.state.sessionmaker, app.state.clock)
                if retired:
                    log.info("retired %d expired articles", len(retired))
            except Exception:
                log.exception("knowledge expiry failed")
            await asyncio.sleep(SCHEDULE_EVERY_S)

    app.state.background.append(knowledge_jobs)
