"""The CSV formats: the example reads and writes back byte for byte; bad rows name line and column."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hotline.reports import contactlog, kpi

EXAMPLE = Path(__file__).resolve().parent / "kpi-example"


def test_example_round_trips_byte_for_byte(example, tmp_path: Path) -> None:
    contactlog.write_contacts(tmp_path / "c.csv", example.contacts)
    contactlog.write_agent_states(tmp_path / "s.csv", example.states)
    contactlog.write_schedule(tmp_path / "p.csv", example.schedule)
    contactlog.write_targets(tmp_path / "t.csv", example.targets.values())
    for ours, theirs in (("c", "contacts"), ("s", "agent_states"), ("p", "schedule")):
        assert (tmp_path / f"{ours}.csv").read_text() == (EXAMPLE / f"{theirs}.csv").read_text(), theirs
    assert contactlog.read_targets(tmp_path / "t.csv") == example.targets  # 0.80 is written 0.8


def test_example_records(example) -> None:
    assert len(example.contacts) == 20 and len(example.states) == 22 and len(example.schedule) == 3
    k11 = next(c for c in example.contacts if c.contact_id == "K11")
    assert (k11.final_queue, k11.derived_outcome, k11.wait_s) == ("regular", "overflowed", 40)
    assert example.targets["vip"] == kpi.QueueTarget("vip", 15, 0.85, 5)
    assert example.provinces[0] == kpi.ProvinceResult("Beijing", 92.5, 40)


HEADER = ",".join(contactlog.CONTACT_COLUMNS)
GOOD = (
    "K1,voice,regular,C1,regular,billing,2026-03-02T09:00:00+08:00,2026-03-02T09:00:30+08:00,,"
    "2026-03-02T09:00:40+08:00,2026-03-02T09:05:40+08:00,60,2026-03-02T09:06:40+08:00,,answered,,A1,T1,,,,5"
)


def _error(text: str, reader=contactlog.read_contacts) -> contactlog.ContactLogError:
    with pytest.raises(contactlog.ContactLogError) as info:
        reader(io.StringIO(text))
    return info.value


def _row(**changes: str) -> str:
    cells = dict(zip(contactlog.CONTACT_COLUMNS, GOOD.split(","), strict=True)) | changes
    return ",".join(cells.values())


def test_good_row_reads() -> None:
    (c,) = contactlog.read_contacts(io.StringIO(f"{HEADER}\n{GOOD}\n"))
    assert (c.handle_s, c.talk_s, c.satisfaction) == (360, 240, 5)


@pytest.mark.parametrize(
    ("changes", "column", "words"),
    [
        ({"arrived_at": "yesterday"}, "arrived_at", "ISO 8601"),
        ({"arrived_at": "2026-03-02T09:00:00"}, "arrived_at", "UTC offset"),
        ({"hold_s": "abc"}, "hold_s", "not a number"),
        ({"hold_s": "-1"}, "hold_s", ">= 0"),
        ({"hold_s": "400"}, "hold_s", "inside"),
        ({"satisfaction": "6"}, "satisfaction", "1-5"),
        ({"satisfaction": "4.5"}, "satisfaction", "whole number"),
        ({"outcome": "won"}, "outcome", "not one of"),
        ({"outcome": "abandoned"}, "outcome", "'answered'"),
        ({"queue": ""}, "queue", "required"),
        ({"abandoned_at": "2026-03-02T09:00:50+08:00"}, "answered_at", "exactly one"),
        ({"queued_at": ""}, "answered_at", "self-served"),
        ({"talk_end_at": "2026-03-02T09:00:00+08:00"}, "talk_end_at", "before answered_at"),
        ({"acw_end_at": ""}, "acw_end_at", "required"),
        ({"overflowed_to_queue": "regular", "outcome": "overflowed"}, "overflowed_to_queue", "same as queue"),
    ],
)
def test_bad_cell_names_line_and_column(changes: dict[str, str], column: str, words: str) -> None:
    err = _error(f"{HEADER}\n{GOOD.replace('K1,', 'K0,', 1)}\n{_row(**changes)}\n")
    assert (err.line, err.column) == (3, column)
    assert words in err.reason and "line 3" in str(err) and column in str(err)
    assert err.code == "contact_log_invalid" and err.details["line"] == 3


def test_missing_header_column_and_ragged_rows() -> None:
    err = _error(HEADER.replace(",satisfaction", "") + "\n")
    assert (err.line, err.column) == (1, "satisfaction")
    assert _error(f"{HEADER}\n{GOOD},extra\n").line == 2
    assert _error(f"{HEADER}\n{GOOD.rsplit(',', 3)[0]}\n").column == "overflowed_to_queue"


def test_duplicate_contact_id() -> None:
    err = _error(f"{HEADER}\n{GOOD}\n{GOOD}\n")
    assert (err.line, err.column) == (3, "contact_id") and "line 2" in err.reason


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8-sig")
    assert len(contactlog.read_contacts(path)) == 1


STATE_HEADER = "agent_id,team,state,reason,started_at,ended_at\n"


def test_state_errors() -> None:
    bad_state = STATE_HEADER + "A1,T1,sleeping,,2026-03-02T09:00:00+08:00,2026-03-02T09:10:00+08:00\n"
    assert _error(bad_state, contactlog.read_agent_states).column == "state"
    backwards = STATE_HEADER + "A1,T1,ready,,2026-03-02T09:10:00+08:00,2026-03-02T09:00:00+08:00\n"
    assert _error(backwards, contactlog.read_agent_states).column == "ended_at"
    reason = STATE_HEADER + "A1,T1,ready,break,2026-03-02T09:00:00+08:00,2026-03-02T09:10:00+08:00\n"
    assert _error(reason, contactlog.read_agent_states).column == "reason"
    overlap = STATE_HEADER + (
        "A1,T1,ready,,2026-03-02T09:00:00+08:00,2026-03-02T09:10:00+08:00\n"
        "A2,T1,ready,,2026-03-02T09:00:00+08:00,2026-03-02T09:10:00+08:00\n"
        "A1,T1,acw,,2026-03-02T09:09:00+08:00,2026-03-02T09:20:00+08:00\n"
    )
    err = _error(overlap, contactlog.read_agent_states)
    assert (err.line, err.column) == (4, "started_at") and "line 2" in err.reason


def test_schedule_target_and_province_errors() -> None:
    sched = "agent_id,date,activity,start,end\nA1,2026-03-02,nap,2026-03-02T09:00:00+08:00,2026-03-02T10:00:00+08:00\n"
    assert _error(sched, contactlog.read_schedule).column == "activity"
    sched = "agent_id,date,activity,start,end\nA1,2026-3-2x,shift,2026-03-02T09:00:00+08:00,2026-03-02T10:00:00+08:00\n"
    assert _error(sched, contactlog.read_schedule).column == "date"
    targets = "queue,sl_threshold_s,sl_target,short_abandon_s\nvip,15,85,5\n"
    assert _error(targets, contactlog.read_targets).column == "sl_target"
    targets = "queue,sl_threshold_s,sl_target,short_abandon_s\nvip,15,0.85,5\nvip,20,0.8,5\n"
    assert _error(targets, contactlog.read_targets).line == 3
    no_s = contactlog.read_targets(io.StringIO("queue,sl_threshold_s,sl_target\nvip,15,0.85\n"))
    assert no_s["vip"].short_abandon_s == 5
    provinces = "province,mystery_call_raw,calls_made\nBeijing,x,40\n"
    assert _error(provinces, contactlog.read_provinces).column == "mystery_call_raw"
