"""The "what if" JSON API: today's configuration as scenario data, and bounded background runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict

from hotline.core.clock import to_local
from hotline.sim import whatif
from hotline.web.deps import AppClock, CurrentPrincipal, DbSession, require

router = APIRouter(prefix="/api/sim", tags=["sim"])
JobId = Path(pattern=r"^[0-9a-f]{16}$")


class RunRequest(BaseModel):
    """A what-if run: the province (default: the caller's) and the edits to today's configuration."""

    model_config = ConfigDict(extra="forbid")
    province: str | None = None
    edits: whatif.Edits = whatif.Edits()


@router.get("/baseline", dependencies=[require(whatif.READ)])
def get_baseline(
    db: DbSession, principal: CurrentPrincipal, clock: AppClock, province: str | None = None
) -> dict[str, Any]:
    """Today's configuration of a province as scenario data (docs/reference/sim-scenario.md)."""
    return whatif.baseline(
        db_session=db, principal=principal, province=province, day=to_local(clock.now()).date()
    )


@router.post("/runs", status_code=202, dependencies=[require(whatif.PLAN)])
def start_run(
    body: RunRequest, db: DbSession, principal: CurrentPrincipal, clock: AppClock
) -> dict[str, Any]:
    """Start baseline and what-if in the background; poll GET /api/sim/runs/{id}."""
    data = whatif.baseline(
        db_session=db, principal=principal, province=body.province, day=to_local(clock.now()).date()
    )
    base = whatif.to_scenario(data)
    other = whatif.to_scenario(whatif.apply(data, body.edits))
    return whatif.start(principal=principal, province=data["province"], base=base, whatif=other).to_dict()


@router.get("/runs/{job_id}", dependencies=[require(whatif.PLAN)])
def get_run(principal: CurrentPrincipal, job_id: str = JobId, wait_s: float = 0.0) -> dict[str, Any]:
    """A run's status and progress; with the results of both scenarios once done (`wait_s` <= 30 waits)."""
    job = whatif.get(principal=principal, job_id=job_id)
    if wait_s > 0:
        whatif.wait(job, min(wait_s, 30.0))
    return job.to_dict()
