"""Group commit of work-order creates: a batch follows the same rules as one create, stores each answer under
its Idempotency-Key, isolates a bad request, and a failed batch retries each request alone."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from hotline.core import audit
from hotline.core.batching import GroupCommit
from hotline.core.errors import InvalidInput
from hotline.core.idempotency import IdempotencyKeyReused
from hotline.core.models import AuditEntry
from hotline.tickets import schemas, service
from hotline.tickets.models import Ticket, TicketStep, TicketTimer


def _req(world, key: str | None = None, **kw: object) -> service.CreateRequest:  # type: ignore[no-untyped-def]
    data = {"type": "fault", "title": "宽带无法上网", "phenomenon_id": world.phen["mobile.signal.no_signal"],
            "area": "长沙岳麓", "product": "宽带", **kw}
    return service.CreateRequest(world.agent, world.actor(world.agent), schemas.TicketCreate(**data), key)


def test_a_batch_takes_each_order_like_one_create(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    before = db.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    reqs = [_req(world, f"k{i}", title=f"第{i}单") for i in range(5)]
    reqs.insert(2, _req(world, "bad", phenomenon_id=None))  # a fault needs a phenomenon: only this one fails
    out = service.create_many(db_session=db, requests=reqs, now=clock.now())
    assert isinstance(out[2], InvalidInput) and out[2].details["field"] == "phenomenon_id"
    bodies = [o[1] for i, o in enumerate(out) if i != 2]
    assert all(o[0] == 201 for i, o in enumerate(out) if i != 2)
    assert [b["title"] for b in bodies] == [f"第{i}单" for i in range(5)]
    ids = [b["id"] for b in bodies]
    assert len(set(ids)) == 5
    for b in bodies:
        t = db.get(Ticket, b["id"])
        assert t.no == b["no"] == f"GD{clock.now():%Y%m%d}{t.id:08d}" and t.state == "created"
        step = db.execute(select(TicketStep).where(TicketStep.ticket_id == t.id)).scalar_one()
        assert b["due_at"] is not None and step.kind == "frontline"
        assert db.execute(select(func.count()).where(TicketTimer.step_id == step.id)).scalar_one() >= 1
    assert db.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == before + 5
    assert audit.verify_chain(db).ok
    # a retry of the batch replays every stored answer, creates nothing
    again = service.create_many(db_session=db, requests=[r for r in reqs if r.idempotency_key != "bad"],
                                now=clock.now())
    assert [o[1]["id"] for o in again] == ids


def test_one_key_twice_in_a_batch_is_one_order_and_a_reused_key_conflicts(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    out = service.create_many(db_session=db, requests=[_req(world, "same"), _req(world, "same"),
                                                       _req(world, "same", title="另一个请求")], now=clock.now())
    assert out[0][1]["id"] == out[1][1]["id"]
    assert isinstance(out[2], IdempotencyKeyReused)
    assert db.execute(select(func.count()).select_from(Ticket).where(Ticket.title == "宽带无法上网")).scalar_one() == 1


def _writer(engine, handle):  # type: ignore[no-untyped-def]
    from hotline.core.db import make_sessionmaker

    return GroupCommit(make_sessionmaker(engine), handle)


def test_jobs_arriving_together_share_a_batch_and_a_failed_batch_retries_each_alone(engine) -> None:  # type: ignore[no-untyped-def]
    seen: list[list[int]] = []

    def handle(session, jobs):  # type: ignore[no-untyped-def]
        seen.append(list(jobs))
        if 13 in jobs and len(jobs) > 1:
            raise RuntimeError("a database error in the batch")
        return [ValueError("odd") if j % 2 else j * 10 for j in jobs]

    writer = _writer(engine, handle)

    async def main() -> list[object]:
        server = asyncio.create_task(writer.serve())
        await asyncio.sleep(0)

        async def one(j: int) -> object:
            try:
                return await writer.run(j)
            except Exception as exc:  # noqa: BLE001
                return exc

        out = await asyncio.gather(*(one(j) for j in (2, 4, 5, 13, 6)))
        server.cancel()
        return list(out)

    out = asyncio.run(main())
    assert out[0] == 20 and out[1] == 40 and out[4] == 60
    assert isinstance(out[2], ValueError) and isinstance(out[3], ValueError)
    assert seen[0] == [2, 4, 5, 13, 6]  # all five in the first batch ...
    assert seen[1:] == [[2], [4], [5], [13], [6]]  # ... which failed as a whole: each alone
    assert writer.batches == 5 and writer.jobs == 5  # committed batches only


def test_without_the_background_job_each_job_runs_alone(engine) -> None:  # type: ignore[no-untyped-def]
    writer = _writer(engine, lambda session, jobs: [j + 1 for j in jobs])
    assert asyncio.run(writer.run(1)) == 2 and writer.batches == 1


def test_under_load_a_batch_waits_briefly_for_more_and_a_lone_job_never_waits(engine) -> None:  # type: ignore[no-untyped-def]
    from hotline.core.db import make_sessionmaker

    seen: list[list[str]] = []

    def handle(session, jobs):  # type: ignore[no-untyped-def]
        seen.append(list(jobs))
        return list(jobs)

    writer = GroupCommit(make_sessionmaker(engine), handle, gap=0.05, linger=0.2)

    async def main() -> None:
        server = asyncio.create_task(writer.serve())
        await asyncio.sleep(0)
        lone = asyncio.create_task(writer.run("lone"))  # no load yet: its batch starts at once
        await asyncio.sleep(0.01)
        await asyncio.gather(lone, writer.run("after"))
        await asyncio.gather(writer.run("a"), writer.run("b"))  # two at once: load
        first = asyncio.create_task(writer.run("c"))
        await asyncio.sleep(0.01)  # well inside the gap: joins c's batch
        await asyncio.gather(first, writer.run("d"))
        pair = asyncio.gather(writer.run("e"), writer.run("f"))  # as many as last time: no waiting for g
        await asyncio.sleep(0.01)
        await asyncio.gather(pair, writer.run("g"))
        server.cancel()

    asyncio.run(main())
    assert seen == [["lone"], ["after"], ["a", "b"], ["c", "d"], ["e", "f"], ["g"]]
