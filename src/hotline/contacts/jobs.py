"""Start-up hooks: the contacts runtime (engine rebuilt from the database, timer loop) and demo traffic."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI

from hotline.contacts.runtime import ContactRuntime


def runtime_of(app: Any) -> ContactRuntime:
    """The app's runtime (created on first use, so apps without a lifespan, like TestClient ones, work too)."""
    rt = getattr(app.state, "contacts_runtime", None)
    if rt is None:
        rt = app.state.contacts_runtime = ContactRuntime(app.state.sessionmaker, app.state.clock, app.state.hub)
    return rt


async def contacts_runtime(app: Any) -> None:
    """Background job: rebuild the engine from the database, run its timers, and the demo traffic if asked."""
    rt = runtime_of(app)
    await asyncio.to_thread(rt.rebuild)
    traffic = None
    if getattr(app.state, "demo_traffic", False):
        from hotline.contacts.traffic import DemoTraffic

        traffic = app.state.contacts_traffic = DemoTraffic(rt)
        traffic.start()
    try:
        await rt.loop()
    finally:
        if traffic is not None:
            await traffic.stop()


def install(app: FastAPI) -> None:
    runtime_of(app)
    app.state.background.append(contacts_runtime)
