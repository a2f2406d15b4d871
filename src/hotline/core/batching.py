"""Group commit: writes submitted by many requests at once are done in batches, one transaction per batch.

A request's answer is sent only after its batch commits, so nothing acknowledged is lost; a batch amortises
what every transaction pays (a connection, BEGIN, the audit chain lock, COMMIT and one statement per kind of
row instead of one per row). One batch runs at a time per process; while it runs, the next one gathers
(several batches at once were measured slower on 2 cores: smaller batches, more CPU per create)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

J = TypeVar("J")
log = logging.getLogger(__name__)

Handler = Callable[[Session, Sequence[J]], Sequence[Any]]


class GroupCommit(Generic[J]):
    """`await run(job)` → the job's result (or its exception raised). `handle(session, jobs)` returns one result
    or exception per job; a failure of the whole batch (a database error) retries each job alone, so only the
    culprit fails. `serve` is the background job that drains the queue; without it (no lifespan, e.g. a test
    client) each job runs alone at once."""

    def __init__(self, factory: sessionmaker[Session], handle: Handler[J], *, max_batch: int = 64) -> None:
        self.factory, self.handle, self.max_batch = factory, handle, max_batch
        self._queue: asyncio.Queue[tuple[J, asyncio.Future[Any]]] | None = None
        self.batches = 0  # batches committed, for tests and benchmarks
        self.jobs = 0

    async def run(self, job: J) -> Any:
        if self._queue is None:
            (result,) = await run_in_threadpool(self._batch, [job])
        else:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._queue.put_nowait((job, future))
            result = await future
        if isinstance(result, BaseException):
            raise result
        return result

    async def serve(self, app: object = None) -> None:
        queue = self._queue = asyncio.Queue()
        try:
            while True:
                batch = [await queue.get()]
                while not queue.empty() and len(batch) < self.max_batch:
                    batch.append(queue.get_nowait())
                results = await run_in_threadpool(self._batch, [job for job, _f in batch])
                for (_job, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._queue = None
            while not queue.empty():  # shutting down: these were never done, so never acknowledged
                _job, future = queue.get_nowait()
                future.cancel()

    def _batch(self, jobs: list[J]) -> list[Any]:
        try:
            with self.factory() as session:
                results = list(self.handle(session, jobs))
                session.commit()
        except Exception as exc:
            if len(jobs) == 1:
                return [exc]
            log.warning("a batch of %d failed (%s); each job runs alone", len(jobs), type(exc).__name__)
            return [self._batch([job])[0] for job in jobs]
        self.batches += 1
        self.jobs += len(jobs)
        return results
