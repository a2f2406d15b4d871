"""Idempotency-Key support: a retried write replays the stored answer instead of running twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from hotline.core.errors import Conflict
from hotline.core.models import IdempotencyRecord


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    msg = "This Idempotency-Key was already used for a different request"


def request_digest(method: str, path: str, body: Any) -> str:
    return hashlib.sha256(json.dumps([method, path, body], sort_keys=True, default=str).encode()).hexdigest()


def stored(db_session: Session, pairs: list[tuple[int | None, str]]) -> dict[tuple[int | None, str], Row[Any]]:
    """The stored answers (rows of `idempotency_keys`) for (user, key) pairs, in one query."""
    if not pairs:
        return {}
    users, keys = {u for u, _k in pairs}, {k[:128] for _u, k in pairs}
    table = IdempotencyRecord.__table__
    user_match = table.c.user_id.is_(None) if users == {None} else table.c.user_id.in_(users - {None})
    rows = db_session.connection().execute(select(table).where(  # (user_id, key) is the unique index
        user_match, table.c.key.in_(keys)))
    wanted = {(u, k[:128]) for u, k in pairs}
    return {(r.user_id, r.key): r for r in rows if (r.user_id, r.key) in wanted}


def replay(record: Row[Any] | IdempotencyRecord, digest: str) -> tuple[int, Any]:
    """The stored answer, if the retry is the same request."""
    if record.request_hash != digest:
        raise IdempotencyKeyReused()
    return record.status_code, record.response


def answer(*, key: str, user_id: int | None, method: str, path: str, digest: str, status: int, payload: Any,
           now: datetime) -> IdempotencyRecord:
    """The record of an answer, not yet added (`keep` adds one; a batch inserts many at once)."""
    return IdempotencyRecord(key=key[:128], user_id=user_id, method=method, path=path[:300], request_hash=digest,
                             status_code=status, response=payload, created_at=now)


def keep(db_session: Session, **fields: Any) -> IdempotencyRecord:
    """Store the answer in the caller's transaction, so that either both the work and the record are kept or
    neither (fields as in `answer`)."""
    record = answer(**fields)
    db_session.add(record)
    return record


def run_once(*, db_session: Session, key: str | None, user_id: int | None, method: str, path: str, body: Any,
             now: datetime, produce: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Run `produce` once per (user, key); the stored (status, json) answers every retry."""
    if not key:
        return produce()
    digest = request_digest(method, path, body)
    found = stored(db_session, [(user_id, key)]).get((user_id, key[:128]))
    if found is not None:
        return replay(found, digest)
    status, payload = produce()
    keep(db_session, key=key, user_id=user_id, method=method, path=path, digest=digest, status=status,
         payload=payload, now=now)
    db_session.flush()
    return status, payload
