"""Events: published only after the transaction commits. An in-process hub by default; a Redis backend
(HOTLINE_REDIS_URL) when several server processes must share events.

Clients follow the "snapshot + last_event_id, then a stream" protocol: every event gets an increasing id,
the hub keeps a bounded backlog so a reconnecting client resumes from the id it last saw."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Event:
    """A typed event: `type` says what happened, `org_path` who may see it (the policy decides)."""

    type: str
    data: dict[str, Any]
    org_path: str = "/"
    permission: str = ""
    owner_id: int | None = None
    id: int = 0


Listener = Callable[[Event], None]


@dataclass
class EventHub:
    """In-process publish/subscribe with a resumable backlog."""

    backlog_size: int = 10_000
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _backlog: deque[Event] = field(default_factory=deque)
    _listeners: list[Listener] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, ev: Event) -> Event:
        with self._lock:
            ev = Event(ev.type, ev.data, ev.org_path, ev.permission, ev.owner_id, next(self._ids))
        self._deliver(ev)
        return ev

    def _deliver(self, ev: Event) -> None:
        """Keep the event in the bounded backlog, then hand it to every listener."""
        with self._lock:
            self._backlog.append(ev)
            while len(self._backlog) > self.backlog_size:
                self._backlog.popleft()
            listeners = list(self._listeners)
        for listener in listeners:
            listener(ev)

    @property
    def last_event_id(self) -> int:
        with self._lock:
            return self._backlog[-1].id if self._backlog else 0

    def since(self, last_event_id: int) -> list[Event] | None:
        """Events after an id; None if the backlog no longer reaches back that far (client must resnapshot)."""
        with self._lock:
            if self._backlog and last_event_id < self._backlog[0].id - 1:
                return None
            return [e for e in self._backlog if e.id > last_event_id]

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def async_queue(self, loop: asyncio.AbstractEventLoop) -> tuple[asyncio.Queue[Event], Callable[[], None]]:
        """A queue fed from any thread, for one WebSocket connection."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        return queue, self.subscribe(lambda ev: loop.call_soon_threadsafe(queue.put_nowait, ev))


class RedisEventHub(EventHub):
    """The same hub, relayed through Redis pub/sub so every server process sees every event."""

    CHANNEL = "hotline:events"

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        import redis

        self._redis = redis.Redis.from_url(url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(**{self.CHANNEL: self._on_message})
        self._thread = self._pubsub.run_in_thread(sleep_time=0.01, daemon=True)

    def publish(self, ev: Event) -> Event:
        ev_id = int(self._redis.incr("hotline:event_id"))
        payload = {"id": ev_id, "type": ev.type, "data": ev.data, "org_path": ev.org_path,
                   "permission": ev.permission, "owner_id": ev.owner_id}
        self._redis.publish(self.CHANNEL, json.dumps(payload, ensure_ascii=False, default=str))
        return Event(ev.type, ev.data, ev.org_path, ev.permission, ev.owner_id, ev_id)

    def _on_message(self, message: dict[str, Any]) -> None:
        p = json.loads(message["data"])
        self._deliver(Event(p["type"], p["data"], p["org_path"], p["permission"], p["owner_id"], p["id"]))

    def close(self) -> None:
        self._thread.stop()
        self._thread.join(timeout=2)
        self._pubsub.close()
        self._redis.close()


def make_hub(redis_url: str = "") -> EventHub:
    return RedisEventHub(redis_url) if redis_url else EventHub()


def emit(session: Session, ev: Event) -> None:
    """Queue an event on the session; it is published after COMMIT, dropped on rollback."""
    if not session.in_transaction():
        session.begin()  # the event belongs to a transaction, so that a rollback (even before any SQL) drops it
    session.info.setdefault("pending_events", []).append(ev)


@sa_event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending = session.info.pop("pending_events", [])
    hub: EventHub | None = session.info.get("hub")
    if hub is not None:
        for ev in pending:
            hub.publish(ev)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction: object) -> None:
    """Every rollback() drops the queued events, also one that had not yet touched the database."""
    session.info.pop("pending_events", None)
