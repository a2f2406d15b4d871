"""`hotline wfm adherence|intraday`: against the migrated test database (a published plan committed for one
test, then removed), JSON on stdout, usage errors naming the option."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from hotline.cli import app
from hotline.core.audit import SYSTEM
from hotline.core.db import make_sessionmaker
from hotline.org.models import OrgUnit, User, UserRole, UserSkill
from hotline.wfm import schedule as sched
from hotline.wfm import service
from hotline.wfm.models import WfmSchedule

runner = CliRunner()
DAY = date(2025, 7, 1)


@pytest.fixture
def cli_db(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """One province, one agent, a plan for DAY committed to the session database (removed afterwards)."""
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    with make_sessionmaker(engine)() as db:
        unit = OrgUnit(kind="province", code="CLI-WFM", name="命令行省")
        db.add(unit)
        db.flush()
        unit.path = f"/{unit.id}/"
        user = User(username="cliwfm1", display_name="命令行", password_hash="x", unit_id=unit.id,
                    created_at=datetime.now(UTC))
        user.roles = [UserRole(role="agent")]
        user.skills = [UserSkill(skill="regular", level=3)]
        db.add(user)
        db.flush()
        s0 = datetime(2025, 7, 1, 9)
        result = sched.ScheduleResult(
            "OPTIMAL", [sched.Activity("A001", DAY, "shift", s0, s0 + timedelta(hours=4), "regular")], 30,
            [datetime(2025, 7, 1) + timedelta(minutes=30 * i) for i in range(48)], {"regular": [0] * 48},
            {"regular": [0] * 18 + [1] * 8 + [0] * 22}, 0.0, [sched.Agent("A001", ("regular",))])
        service.publish(db_session=db, actor=SYSTEM, now=datetime.now(UTC), unit_id=unit.id, result=result)
        db.commit()
        yield unit.code
        for row in db.execute(select(WfmSchedule).where(WfmSchedule.unit_id == unit.id)).scalars():
            db.delete(row)
        db.flush()
        db.execute(delete(UserSkill).where(UserSkill.user_id == user.id))
        db.execute(delete(UserRole).where(UserRole.user_id == user.id))
        db.execute(delete(User).where(User.id == user.id))
        db.execute(delete(OrgUnit).where(OrgUnit.id == unit.id))
        db.commit()


def test_adherence_json(cli_db: str) -> None:
    r = runner.invoke(app, ["wfm", "adherence", "--date", DAY.isoformat(), "--unit", cli_db, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    (row,) = out["agents"]
    assert row["username"] == "cliwfm1" and row["scheduled_s"] == 4 * 3600 and row["adherence"] == 0.0
    assert out["adherence_total"] == 0.0 and out["now"].startswith("2025-07-02T00:00")  # a past day: judged whole
    r = runner.invoke(app, ["wfm", "intraday", "--date", DAY.isoformat(), "--unit", cli_db, "--json"])
    (q,) = json.loads(r.stdout)["queues"]
    assert q["code"] == "regular" and q["scheduled"][18] == 1 and "adherence" not in json.loads(r.stdout)


def test_usage_errors_name_the_option(cli_db: str) -> None:
    r = runner.invoke(app, ["wfm", "adherence", "--date", "2025-13-01"])
    assert r.exit_code == 2 and "--date" in r.output
    r = runner.invoke(app, ["wfm", "intraday", "--unit", "NO-SUCH-UNIT"])
    assert r.exit_code == 2 and "--unit" in r.output
