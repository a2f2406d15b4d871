"""The `hotline reports` command contract: options, JSON shape, table, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hotline.reports import cli, kpi

EXAMPLE = Path(__file__).resolve().parent / "kpi-example"
FILES = {
    name: str(EXAMPLE / f"{name}.csv")
    for name in ("contacts", "agent_states", "schedule", "targets", "provinces")
}
EXPECTED = json.loads((EXAMPLE / "expected.json").read_text())


@pytest.fixture(scope="module")
def run():
    app = typer.Typer()
    cli.register(app)

    @app.callback()
    def root() -> None:  # a root with a sub-app, as in hotline.cli
        """Root."""

    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(app, ["reports", *args], env={"HOTLINE_LANG": "en"})
        assert result.exit_code == code, (result.output, getattr(result, "stderr", ""))
        return result

    return invoke


def test_register_adds_reports_with_both_commands(run) -> None:
    out = run("--help").output
    assert "kpi" in out and "scoring" in out


def test_queue_day_json_is_the_module_output(run, example) -> None:
    out = json.loads(
        run("kpi", "--contacts", FILES["contacts"], "--targets", FILES["targets"], "--json").output
    )
    module = kpi.queue_day(example.contacts, example.targets)
    assert out == {q: {d: f.as_dict() for d, f in days.items()} for q, days in module.items()}
    assert (
        out["regular"]["2026-03-02"]["service_level"]
        == EXPECTED["queue_day"]["regular"]["2026-03-02"]["service_level"]
    )


@pytest.mark.parametrize(
    ("by", "path", "key"),
    [
        ("centre-day", ("2026-03-02",), "adherence"),
        ("agent-day", ("A1", "2026-03-02"), "occupancy"),
        ("team-day", ("T1", "2026-03-02"), "aht_s"),
        ("queue-interval", ("regular", "2026-03-02T09:00"), "service_level"),
    ],
)
def test_every_grouping_in_json(run, by: str, path: tuple[str, ...], key: str) -> None:
    out = json.loads(
        run(
            "kpi",
            "--contacts",
            FILES["contacts"],
            "--states",
            FILES["agent_states"],
            "--schedule",
            FILES["schedule"],
            "--targets",
            FILES["targets"],
            "--by",
            by,
            "--json",
        ).output
    )
    want = EXPECTED[by.replace("-", "_")]
    node, exp = out, want
    for p in path:
        node, exp = node[p], exp[p]
    assert node[key] == pytest.approx(exp[key], rel=1e-3)


def test_fifteen_minute_intervals_and_period(run) -> None:
    out = json.loads(
        run(
            "kpi",
            "--contacts",
            FILES["contacts"],
            "--targets",
            FILES["targets"],
            "--by",
            "queue-interval",
            "--interval",
            "15",
            "--start",
            "2026-03-03",
            "--end",
            "2026-03-03",
            "--json",
        ).output
    )
    assert out == {"vip": {"2026-03-03T11:00": out["vip"]["2026-03-03T11:00"]}}


def test_without_targets_uses_the_default_80_20(run) -> None:
    out = json.loads(run("kpi", "--contacts", FILES["contacts"], "--json").output)
    assert out["vip"]["2026-03-02"]["sl_threshold_s"] == 20


def test_table_by_default(run) -> None:
    out = run("kpi", "--contacts", FILES["contacts"], "--targets", FILES["targets"]).output
    assert "service_level" in out and "50.0%" in out and "regular" in out and "—" in out


def test_scoring_json(run) -> None:
    out = json.loads(
        run(
            "scoring",
            "--contacts",
            FILES["contacts"],
            "--targets",
            FILES["targets"],
            "--provinces",
            FILES["provinces"],
            "--json",
        ).output
    )
    assert out["compliance"]["vip"] == EXPECTED["compliance"]["vip"]
    assert out["compliance"]["regular"]["days_met"] == []
    assert out["mystery_call"]["national_mean"] == 90.0
    assert out["mystery_call"]["score"]["Beijing"] == pytest.approx(1.454545, rel=1e-5)
    table = run("scoring", "--contacts", FILES["contacts"], "--targets", FILES["targets"]).output
    assert "vip" in table and "50.0%" in table


def test_bad_file_exits_2_naming_line_and_column(run, tmp_path: Path) -> None:
    bad = tmp_path / "c.csv"
    lines = (EXAMPLE / "contacts.csv").read_text().splitlines()
    lines[4] = lines[4].replace("+08:00", "", 1)
    bad.write_text("\n".join(lines) + "\n")
    result = run("kpi", "--contacts", str(bad), "--json", code=2)
    err = json.loads(result.stderr)
    assert err["code"] == "contact_log_invalid"
    assert err["details"] == {"path": str(bad), "line": 5, "column": "arrived_at"}
    assert "line 5" in run("kpi", "--contacts", str(bad), code=2).stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--by", "province-day"),
        ("--interval", "7"),
        ("--start", "2026-03-02"),
        ("--start", "03/02", "--end", "x"),
        ("--start", "2026-03-03", "--end", "2026-03-02"),
    ],
)
def test_bad_options_are_usage_errors(run, args: tuple[str, ...]) -> None:
    run("kpi", "--contacts", FILES["contacts"], *args, code=2)


def test_missing_file(run) -> None:
    run("kpi", "--contacts", "/nonexistent.csv", code=2)


def test_every_cli_text_has_a_chinese_translation() -> None:
    import re

    from babel.messages.pofile import read_po

    root = Path(cli.__file__).resolve().parents[1]
    with (root / "locale" / "zh_CN" / "LC_MESSAGES" / "reports.po").open("rb") as fh:
        translated = {m.id for m in read_po(fh) if m.id and m.string}
    used = set(re.findall(r'_\("([^"]*)"\)', Path(cli.__file__).read_text()))
    used |= {k for cols in cli._TABLE.values() for k in cols} | {"queue", "day", "agent", "team", "interval"}
    assert used and used <= translated, used - translated
