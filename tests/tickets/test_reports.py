"""Hotspots, trends, department timeliness and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from hotline.tickets import reports


def _fault(world, db, clock, **kw):  # type: ignore[no-untyped-def]
    return world.create(db, clock.now(), **kw)


def test_hotspots_by_area_cell_and_phenomenon_levels(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    start = clock.now()
    for area, cell, phen in [("长沙岳麓", "CS-1", "mobile.signal.no_signal"), ("长沙岳麓", "CS-1", "mobile.signal.weak"),
                             ("长沙岳麓", "CS-2", "mobile.sms.send_fail"), ("长沙开福", "CS-9", "broadband.slow.peak_slow")]:
        _fault(world, db, clock, area=area, cell_id=cell, phenomenon_id=world.phen[phen])
    end = clock.now() + timedelta(seconds=1)
    top = reports.hotspots(db_session=db, principal=world.manager, start=start, end=end, by="area")
    assert [(h.key, h.count) for h in top] == [("长沙岳麓", 3), ("长沙开福", 1)] and top[0].share == 0.75
    cells = reports.hotspots(db_session=db, principal=world.manager, start=start, end=end, by="cell_id", top=1)
    assert [(h.key, h.count) for h in cells] == [("CS-1", 2)]
    l2 = reports.hotspots(db_session=db, principal=world.manager, start=start, end=end, by="phenomenon", level=2)
    assert {h.key: h.count for h in l2} == {"信号": 2, "短信": 1, "网速慢": 1}
    l1 = reports.hotspots(db_session=db, principal=world.manager, start=start, end=end, by="phenomenon", level=1)
    assert {h.key: h.count for h in l1} == {"移动/小灵通": 3, "宽带": 1}
    assert reports.hotspots(db_session=db, principal=world.manager, start=end, end=end + timedelta(days=1)) == []


def test_trend_buckets_in_local_days(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    start = clock.now()  # 09:00 Shanghai, Monday 2026-03-02
    _fault(world, db, clock)
    clock.advance(hours=15)  # 00:00 Tuesday in Shanghai (still Monday in UTC)
    _fault(world, db, clock)
    _fault(world, db, clock, area="长沙开福")
    series = reports.trend(db_session=db, principal=world.manager, start=start, end=clock.now() + timedelta(hours=1))
    assert series == {"all": {"2026-03-02": 1, "2026-03-03": 2}}
    by_area = reports.trend(db_session=db, principal=world.manager, start=start,
                            end=clock.now() + timedelta(hours=1), by="area", bucket="month")
    assert by_area == {"长沙岳麓": {"2026-03": 2}, "长沙开福": {"2026-03": 1}}


def test_department_timeliness(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    start = clock.now()
    late = world.to_department(db, clock.now(), dept="network")
    quick = world.to_department(db, clock.now(), dept="network")
    other = world.to_department(db, clock.now(), dept="billing")
    world.act(db, clock.now() + timedelta(hours=1), "reply", quick, by=world.backoffice["network"],
              cause_id=world.cause["network.radio.site_down"], result="ok")
    world.act(db, clock.now() + timedelta(days=3), "reply", late, by=world.backoffice["network"],
              cause_id=world.cause["network.radio.site_down"], result="ok")
    now = clock.now() + timedelta(days=5)
    rows = {r.dept: r for r in reports.timeliness(db_session=db, principal=world.manager, start=start,
                                                   end=now, now=now)}
    net, bill = rows["网络部"], rows["计费中心"]
    assert (net.due, net.on_time, net.overdue, net.answered) == (2, 1, 1, 2) and net.on_time_rate == 0.5
    assert net.mean_hours is not None and net.mean_hours > 1
    assert (bill.due, bill.on_time, bill.overdue, bill.answered, bill.on_time_rate) == (1, 0, 1, 0, 0.0)
    # a department member sees only their own department's figures
    mine = reports.timeliness(db_session=db, principal=world.backoffice["billing"], start=start, end=now, now=now)
    assert [r.dept for r in mine] == ["计费中心"] and other.dept_id == world.depts["billing"].id


def test_csv_neutralises_formula_cells() -> None:
    rows = [{"key": "=HYPERLINK(\"http://x\")", "n": 1}, {"key": "+1", "n": 2}, {"key": "-2", "n": 3},
            {"key": "@SUM(A1)", "n": 4}, {"key": "\tx", "n": 5}, {"key": "\rx", "n": 6}, {"key": "长沙", "n": -7}]
    text = reports.to_csv(rows, ["key", "n"])
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed[0] == ["key", "n"]
    assert [r[0] for r in parsed[1:]] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "长沙"]
    assert parsed[-1][1] == "-7"  # numbers stay numbers
