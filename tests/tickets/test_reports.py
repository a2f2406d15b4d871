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


def test_xlsx_neutralises_formula_cells_read_back() -> None:
    from openpyxl import load_workbook

    evil = ["=HYPERLINK(\"http://x\",\"点我\")", "+1", "-2", "@SUM(A1)", "\tx", "=1+1"]
    rows = [reports.Hotspot(k, i + 1, 0.125) for i, k in enumerate(evil)] + [reports.Hotspot("长沙", 9, 0.5)]
    wb = load_workbook(io.BytesIO(reports.to_xlsx(rows, reports.HOTSPOT_COLUMNS, sheet="热点", title="=标题")))
    ws = wb["热点"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells), [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert ws["A1"].value == "=标题" and ws["A1"].quotePrefix  # the title too
    assert [c.value for c in ws[2]] == ["对象", "工单数", "占比"]
    keys = [ws.cell(row=r, column=1) for r in range(3, 3 + len(rows))]
    assert [c.value for c in keys] == [*evil, "长沙"]  # shown exactly as typed, as text
    assert [c.quotePrefix for c in keys] == [True] * len(evil) + [False]
    assert ws["B3"].value == 1 and ws["B3"].data_type == "n"  # numbers stay numbers
    assert ws["C9"].value == 0.5 and ws["C9"].number_format == "0.0%"


def test_poller_overdue_step_counts_even_past_the_report_horizon(db, world, clock) -> None:  # type: ignore[no-untyped-def]
    t = world.to_department(db, clock.now(), dept="network")
    from hotline.tickets import service

    step = service.open_step(db_session=db, ticket_id=t.id)
    step.overdue, step.escalation_level = True, 1  # what the poller, whose clock ran ahead, recorded
    db.flush()
    now = clock.now() + timedelta(hours=1)  # the report's clock has not reached the deadline yet
    rows = {r.dept: r for r in reports.timeliness(db_session=db, principal=world.manager,
                                                   start=clock.now() - timedelta(days=1), end=now, now=now)}
    net = rows["网络部"]
    assert (net.due, net.on_time, net.overdue, net.escalated) == (1, 0, 1, 1)
