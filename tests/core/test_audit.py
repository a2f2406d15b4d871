"""The audit log: hash chain, tamper detection, append-only on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from hotline.core import audit
from hotline.core.models import AuditEntry


def _rows(db, clock, n: int = 3) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        audit.record(db, actor=audit.Actor(1, "tester", "127.0.0.1"), at=clock.advance(1), action="test.action",
                     target_type="thing", target_id=i, reason="why", detail={"i": i, "名字": "张三"})


def test_chain_verifies(db, clock) -> None:  # type: ignore[no-untyped-def]
    _rows(db, clock)
    report = audit.verify_chain(db)
    assert report.ok and report.checked >= 3


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"])
def test_append_only(db, clock, statement: str) -> None:  # type: ignore[no-untyped-def]
    _rows(db, clock, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        with db.begin_nested():
            db.execute(text(statement))


def test_tampering_is_detected(db, clock) -> None:  # type: ignore[no-untyped-def]
    _rows(db, clock, 3)
    dialect = db.get_bind().dialect.name
    # An attacker with DDL rights drops the guard and edits a row: verification must notice.
    if dialect == "postgresql":
        db.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"))
    else:
        db.execute(text("DROP TRIGGER audit_log_no_update"))
    last_id = db.execute(text("SELECT MAX(id) FROM audit_log")).scalar()
    db.execute(text("UPDATE audit_log SET reason = 'forged' WHERE id = :i"), {"i": last_id - 1})
    report = audit.verify_chain(db)
    assert not report.ok
    assert report.first_bad_id == last_id - 1


def test_times_are_utc_aware(db, clock) -> None:  # type: ignore[no-untyped-def]
    entry = audit.record(db, actor=audit.SYSTEM, at=clock.now() + timedelta(hours=8), action="x")
    stored = db.execute(select(AuditEntry.at).where(AuditEntry.hash == entry.hash)).scalar_one()
    assert stored.utcoffset() == timedelta(0) and stored == entry.at
