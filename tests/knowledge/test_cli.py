"""`hotline kb import` and `hotline kb search`: the contract for scripts and evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.core.testing import fresh_database_url


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOTLINE_DATABASE_URL", fresh_database_url(tmp_path, "kbcli"))
    from hotline.cli import app

    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["kb", *args])

    return invoke


def lines(*objs: object) -> str:
    return "\n".join(o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in objs) + "\n"


def test_bad_lines_are_reported_by_number_and_the_rest_imported(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "a.jsonl"
    f.write_text(lines(
        {"id": "a1", "title": "话费余额查询", "body": "拨打10000按1查询余额", "category": ["账务", "查询", "余额"]},
        "{not json",
        {"id": "a2", "title": "", "body": "空标题", "category": []},
        {"title": "没有编号", "body": "x"},
        {"id": "a3", "title": "彩铃退订", "body": "发送TDCL到10001", "category": ["增值业务", "彩铃", "退订"],
         "keywords": ["彩铃"], "answer_plain": "发短信TDCL到10001就退了"},
        {"id": "a4", "title": "分类太多", "body": "x", "category": ["1", "2", "3", "4"]},
    ), encoding="utf-8")
    res = run("import", str(f), "--json")
    assert res.exit_code == 1
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert (summary["created"], summary["updated"]) == (2, 0)
    assert [e["line"] for e in summary["errors"]] == [2, 3, 4, 6]
    assert "title" in summary["errors"][1]["error"] and "id" in summary["errors"][2]["error"]
    assert f"{f}:2:" in res.stderr
    out = json.loads(run("search", "彩铃", "--json", "--limit", "10").stdout)
    assert [r["id"] for r in out] == ["a3"] and set(out[0]) == {"id", "title", "score"}


def test_reimport_updates_by_id(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "a.jsonl"
    f.write_text(lines({"id": "x", "title": "宽带报修", "body": "拨打10000报修", "category": ["宽带", "故障", "报修"]}),
                 encoding="utf-8")
    assert run("import", str(f)).exit_code == 0
    f.write_text(lines({"id": "x", "title": "携号转网条件", "body": "实名无欠费", "category": ["号码", "携转", "条件"]}),
                 encoding="utf-8")
    res = run("import", str(f), "--json")
    assert json.loads(res.stdout)["updated"] == 1
    assert json.loads(run("search", "宽带报修", "--json").stdout) == []
    assert [r["id"] for r in json.loads(run("search", "携转", "--json").stdout)] == ["x"]
    assert json.loads(run("import", str(f), "--json").stdout)["unchanged"] == 1


def test_batch_queries_print_one_line_per_query(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "a.jsonl"
    f.write_text(lines(
        {"id": "p1", "title": "话费余额查询", "body": "拨打10000按1", "category": ["账务", "查询", "余额"]},
        {"id": "p2", "title": "话费账单说明", "body": "月账单包含套餐费", "category": ["账务", "账单", "说明"]},
    ), encoding="utf-8")
    run("import", str(f))
    q = tmp_path / "q.jsonl"
    q.write_text(lines({"qid": "q1", "query": "查余额"}, {"qid": 2, "query": "航天飞机"}), encoding="utf-8")
    res = run("search", "--queries", str(q), "--json", "--limit", "1")
    assert res.exit_code == 0
    assert [json.loads(x) for x in res.stdout.splitlines()] == [{"qid": "q1", "results": ["p1"]}, {"qid": 2, "results": []}]


def test_search_needs_exactly_one_of_query_or_file(run) -> None:  # type: ignore[no-untyped-def]
    assert run("search", "--json").exit_code != 0
