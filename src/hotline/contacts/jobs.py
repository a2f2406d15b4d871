"""Start-up hooks: the contacts runtime (engine rebuilt from the database, timer loop) and demo traffic."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from hotline.contacts.runtime import ContactRuntime


def runtime_of(app: Any) -> ContactRuntime:
    """The app's runtime (created on first use, so tests without start-up events work too)."""
    rt = getattr(app.state, "contacts_runtime", None)
    if rt is None:
        rt = app.state.contacts_runtime = ContactRuntime(app.state.sessionmaker, app.state.clock, app.state.hub)
    return rt


def install(app: FastAPI) -> None:
    """Rebuild the engine at start-up, run its timer loop, and drive demo traffic when asked to."""
    runtime_of(app)

    async def startup() -> None:
        rt = runtime_of(app)
        rt.start()
        if getattr(app.state, "demo_traffic", False):
            from hotline.contacts.traffic import DemoTraffic

            app.state.contacts_traffic = DemoTraffic(rt)
            app.state.contacts_traffic.start()

    async def shutdown() -> None:
        traffic = getattr(app.state, "contacts_traffic", None)
        if traffic is not None:
            await traffic.stop()
        await runtime_of(app).stop()

    app.router.on_startup.append(startup)
    app.router.on_shutdown.append(shutdown)
