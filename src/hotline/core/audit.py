"""The append-only, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.db import bulk_insert
from hotline.core.models import AuditEntry

GENESIS = "0" * 64


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    body = json.dumps(
        [
            prev_hash,
            entry.at.isoformat(timespec="microseconds"),
            entry.actor_id,
            entry.actor_name,
            entry.ip,
            entry.action,
            entry.target_type,
            entry.target_id,
            entry.org_path,
            entry.reason,
            entry.detail,
        ],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (id, name) and where the request came from."""

    user_id: int | None
    name: str
    ip: str = ""


SYSTEM = Actor(None, "system")


def entry(
    *,
    actor: Actor,
    at: datetime,
    action: str,
    target_type: str = "",
    target_id: str | int = "",
    org_path: str = "/",
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """One audit row, not yet chained nor added (see `append`)."""
    return AuditEntry(at=at.astimezone(UTC), actor_id=actor.user_id, actor_name=actor.name, ip=actor.ip,
                      action=action, target_type=target_type, target_id=str(target_id), org_path=org_path,
                      reason=reason, detail=detail or {})


LAST_HASH = select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)


def append(session: Session, entries: list[AuditEntry]) -> list[AuditEntry]:
    """Chain rows to the last one and insert them inside the caller's transaction: one chain lock, one read of
    the last hash and one INSERT, however many rows (a batch of work orders pays them once). The ids are the
    database's, given under the lock, so id order is chain order."""
    conn = session.connection()  # Core statements: the lock and the last hash need no flush of the session first
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7270001)")
    prev = conn.execute(LAST_HASH).scalar() or GENESIS
    for e in entries:
        e.prev_hash = prev
        e.hash = prev = _digest(prev, e)
    bulk_insert(session, entries)
    return entries


def record(session: Session, **fields: Any) -> AuditEntry:
    """Append one audit row inside the caller's transaction, chained to the last one (fields as in `entry`)."""
    return append(session, [entry(**fields)])[0]


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    first_bad_id: int | None = None
    problem: str = ""


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order; report the first row that does not match."""
    prev = GENESIS
    n = 0
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        n += 1
        if entry.prev_hash != prev:
            return ChainReport(n, False, entry.id, "prev_hash does not match the previous row")
        if _digest(prev, entry) != entry.hash:
            return ChainReport(n, False, entry.id, "row content does not match its hash")
        prev = entry.hash
    return ChainReport(n, True)


APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
APPEND_ONLY_POSTGRES = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
]
