"""Idempotency-Key support: a retried write replays the stored answer instead of running twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.errors import Conflict
from hotline.core.models import IdempotencyRecord


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    msg = "This Idempotency-Key was already used for a different request"


def run_once(*, db_session: Session, key: str | None, user_id: int | None, method: str, path: str, body: Any,
             now: datetime, produce: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Run `produce` once per (user, key); the stored (status, json) answers every retry.

    The record is written in the same transaction as the work, so either both are kept or neither."""
    if not key:
        return produce()
    digest = hashlib.sha256(json.dumps([method, path, body], sort_keys=True, default=str).encode()).hexdigest()
    stored = db_session.execute(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key[:128])
    ).scalar_one_or_none()
    if stored is not None:
        if stored.request_hash != digest:
            raise IdempotencyKeyReused()
        return stored.status_code, stored.response
    status, payload = produce()
    db_session.add(IdempotencyRecord(key=key[:128], user_id=user_id, method=method, path=path[:300],
                                     request_hash=digest, status_code=status, response=payload, created_at=now))
    db_session.flush()
    return status, payload
