"""Bulk writes past the unit of work: `draw_ids`, `bulk_insert` and `pipelined`, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hotline.core.db import bulk_insert, draw_ids, pipelined
from hotline.tickets.models import TicketCategory, TicketTimer


def _cats(prefix: str, n: int) -> list[TicketCategory]:
    return [TicketCategory(tree="phenomenon", level=1, code=f"{prefix}-{i}", name=f"测试{i}") for i in range(n)]


def test_bulk_insert_sets_defaults_and_leaves_ids_to_the_database(db) -> None:  # type: ignore[no-untyped-def]
    cats = _cats("bulk", 3)
    bulk_insert(db, cats)
    assert [(c.name_en, c.sort, c.active, c.version, c.parent_id) for c in cats] == [("", 0, True, 1, None)] * 3
    rows = db.execute(select(TicketCategory.id, TicketCategory.name, TicketCategory.version)
                      .where(TicketCategory.code.like("bulk-%")).order_by(TicketCategory.id)).all()
    assert [r.name for r in rows] == ["测试0", "测试1", "测试2"] and len({r.id for r in rows}) == 3
    assert all(r.version == 1 for r in rows)


def test_drawn_ids_are_fresh_and_attached_objects_behave_as_loaded(db) -> None:  # type: ignore[no-untyped-def]
    before = db.execute(select(func.coalesce(func.max(TicketCategory.id), 0))).scalar_one()
    first = draw_ids(db, {TicketCategory: 3, TicketTimer: 1})
    assert len(first[TicketCategory]) == 3 and len(first[TicketTimer]) == 1
    assert sorted(first[TicketCategory]) == first[TicketCategory] and min(first[TicketCategory]) > before
    cats = _cats("attach", 3)
    for c, cid in zip(cats, first[TicketCategory], strict=True):
        c.id = cid
    bulk_insert(db, cats, attach=True)
    second = draw_ids(db, {TicketCategory: 2})  # drawn after the insert: fresh on both databases
    assert min(second[TicketCategory]) > max(first[TicketCategory])
    assert db.get(TicketCategory, cats[0].id) is cats[0]  # in the identity map: no second INSERT at the flush
    cats[0].name = "改名"
    db.flush()  # an UPDATE with the version check, as for a loaded row
    assert cats[0].version == 2
    db.expire_all()
    assert db.get(TicketCategory, cats[0].id).name == "改名"  # type: ignore[union-attr]
    count = db.execute(select(func.count()).where(TicketCategory.code.like("attach-%"))).scalar_one()
    assert count == 3


def test_an_error_in_a_pipelined_block_is_raised_and_nothing_of_the_block_is_left(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError):
        with db.begin_nested(), pipelined(db):
            bulk_insert(db, _cats("pipe", 2))
            bulk_insert(db, _cats("pipe", 1))  # the same (tree, code) again
    count = db.execute(select(func.count()).where(TicketCategory.code.like("pipe-%"))).scalar_one()
    assert count == 0
