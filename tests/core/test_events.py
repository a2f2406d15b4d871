"""Events: published after commit only, resumable backlog, and the Redis relay between server processes."""

from __future__ import annotations

import time

import pytest

from hotline.core.events import Event, EventHub, RedisEventHub, emit


def test_backlog_resume_and_overflow() -> None:
    hub = EventHub(backlog_size=3)
    ids = [hub.publish(Event("t", {"n": n})).id for n in range(5)]
    assert ids == [1, 2, 3, 4, 5] and hub.last_event_id == 5
    assert [e.data["n"] for e in hub.since(3)] == [3, 4]
    assert hub.since(0) is None  # the backlog no longer reaches back: the client must take a new snapshot


def test_events_wait_for_commit_and_vanish_on_rollback(engine) -> None:  # type: ignore[no-untyped-def]
    from hotline.core.db import make_sessionmaker

    hub = EventHub()
    seen: list[str] = []
    hub.subscribe(lambda ev: seen.append(ev.type))
    factory = make_sessionmaker(engine, info={"hub": hub})
    with factory() as session:
        emit(session, Event("rolled-back", {}))
        session.rollback()
        emit(session, Event("kept", {}))
        assert seen == []
        session.commit()
    assert seen == ["kept"]


def test_redis_relays_events_between_processes() -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    a, b = RedisEventHub("redis://127.0.0.1:6379/0"), RedisEventHub("redis://127.0.0.1:6379/0")
    try:
        got: list[Event] = []
        b.subscribe(got.append)
        time.sleep(0.2)
        sent = a.publish(Event("wallboard.queue", {"waiting": 3}, "/1/2/"))
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
        assert got and got[0].id == sent.id and got[0].data == {"waiting": 3} and got[0].org_path == "/1/2/"
        assert b.since(sent.id - 1)[0].id == sent.id
    finally:
        a.close()
        b.close()
