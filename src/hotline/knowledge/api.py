"""Knowledge-base REST API: thin routes over knowledge.service. Search uses the same ranking as the CLI and
the pages; every route checks the policy, and an article out of the caller's scope answers 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from hotline.core.auth import Principal, Resource, allowed
from hotline.core.errors import NotFound
from hotline.knowledge import rules, service
from hotline.knowledge.models import KbArticle
from hotline.knowledge.ranking import Context
from hotline.knowledge.schemas import ArticleIn, SearchHit
from hotline.web.deps import AppClock, CurrentPrincipal, DbSession, require

router = APIRouter(prefix="/api/kb", tags=["knowledge"])
Ref = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[\w.\-:]+$")]


class ArticleRead(BaseModel):
    id: str
    kind: str
    title: str
    question: str
    body: str
    answer_plain: str
    category: list[str]
    keywords: list[str]
    business_types: list[str]
    related: list[str]
    flow: list[dict[str, Any]]
    effective_from: datetime | None = None
    effective_to: datetime | None = None
    state: str
    version: int
    published_version: int | None
    org_path: str
    views: int
    helpful: int
    not_helpful: int
    actions: list[str] = Field(default_factory=list)


class ArticleUpdate(ArticleIn):
    version: int = Field(ge=1, description="the version the editor read (stale → 409)")


class ActionIn(BaseModel):
    note: str = Field("", max_length=500)


class FeedbackIn(BaseModel):
    helpful: bool
    contact_ref: str = Field("", max_length=64)


class FlagIn(BaseModel):
    kind: Literal["error", "outdated"] = "error"
    comment: str = Field(min_length=1, max_length=2000)


class SubmissionIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=20_000)


class VersionRead(BaseModel):
    version: int
    at: datetime
    actor_name: str
    state: str
    note: str
    diff: str


def read(db: DbSession, art: KbArticle, principal: Principal) -> ArticleRead:
    """An article as the caller may see it: editors the working copy, others the published version."""
    editor = allowed(principal, service.EDIT, Resource(art.org_path))
    if editor:
        snap: dict[str, Any] | None = {f: getattr(art, f) for f in rules.SNAPSHOT_FIELDS}
    else:
        snap = service.published_snapshot(db, article=art) if art.state in rules.LIVE_STATES else None
    if snap is None:
        raise NotFound("article not found")
    actions = [a for a in rules.actions_from(art.state)
               if allowed(principal, rules.transition(art.state, a).permission, Resource(art.org_path))]
    return ArticleRead(
        id=art.ref, kind=snap["kind"], title=snap["title"], question=snap["question"], body=snap["body"],
        answer_plain=snap["answer_plain"], keywords=snap["keywords"], business_types=snap["business_types"],
        category=[c for c in (snap["category_l1"], snap["category_l2"], snap["category_l3"]) if c],
        related=snap["related"], flow=snap["flow"], effective_from=art.effective_from, effective_to=art.effective_to,
        state=art.state, version=art.version, published_version=art.published_version, org_path=art.org_path,
        views=art.views, helpful=art.helpful, not_helpful=art.not_helpful, actions=actions,
    )


@router.get("/search", response_model=list[SearchHit], dependencies=[require("kb.read")])
def search(db: DbSession, principal: CurrentPrincipal, clock: AppClock,
           q: Annotated[str, Query(max_length=200)] = "", limit: Annotated[int, Query(ge=1, le=50)] = 10,
           business_type: Annotated[str, Query(max_length=40)] = "",
           category: Annotated[str, Query(max_length=200)] = "", log: bool = True) -> list[SearchHit]:
    """Search live articles in scope, best first, with highlighted (escaped) snippets; logged for the gaps
    report unless `log=false` (as-you-type lookups)."""
    ctx = Context(business_type=business_type or None, category=tuple(category.split("/")) if category else ())
    return service.search(db, query=q, at=clock.now(), limit=limit, principal=principal, context=ctx,
                          snippets=True, log=log and bool(q.strip()))


@router.get("/articles", response_model=list[ArticleRead], dependencies=[require("kb.read")])
def list_(db: DbSession, principal: CurrentPrincipal,
          state: Annotated[list[Literal["received", "drafted", "reviewed", "published", "updated", "retired"]],
                           Query()] = [],  # noqa: B006
          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[ArticleRead]:
    """Articles in scope, newest change first; filter by state for the review queue."""
    rows = service.list_articles(db, principal=principal, states=state, limit=limit)
    if not principal.can(service.EDIT):
        rows = [a for a in rows if a.state in rules.LIVE_STATES]
    return [read(db, a, principal) for a in rows]


@router.post("/articles", status_code=201, response_model=ArticleRead, dependencies=[require("kb.edit")])
def create(data: ArticleIn, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> ArticleRead:
    """Draft a new article (its id is generated unless given)."""
    return read(db, service.create_article(db, principal=principal, at=clock.now(), data=data), principal)


@router.get("/articles/{ref}", response_model=ArticleRead, dependencies=[require("kb.read")])
def get(ref: Ref, db: DbSession, principal: CurrentPrincipal) -> ArticleRead:
    """One article (out of scope, or not live for a reader → 404)."""
    return read(db, service.get_article(db, principal=principal, ref=ref), principal)


@router.put("/articles/{ref}", response_model=ArticleRead, dependencies=[require("kb.edit")])
def update(ref: Ref, data: ArticleUpdate, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> ArticleRead:
    """Save a new version (stale version → 409; a published article becomes `updated`)."""
    art = service.update_article(db, principal=principal, at=clock.now(), ref=ref, data=data,
                                 expected_version=data.version)
    return read(db, art, principal)


@router.post("/articles/{ref}/actions/{action}", response_model=ArticleRead, dependencies=[require("kb.read")])
def act(ref: Ref, action: Literal["edit", "review", "reject", "publish", "retire", "reopen"], data: ActionIn,
        db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> ArticleRead:
    """A lifecycle action; the transition's own permission is checked (an agent cannot publish: 403)."""
    art = service.act(db, principal=principal, at=clock.now(), ref=ref, action=action, note=data.note)
    return read(db, art, principal)


@router.get("/articles/{ref}/versions", response_model=list[VersionRead], dependencies=[require("kb.edit")])
def versions(ref: Ref, db: DbSession, principal: CurrentPrincipal) -> list[VersionRead]:
    """Versions with their diffs, newest first."""
    service.get_article(db, principal=principal, ref=ref, permission=service.EDIT)
    return [VersionRead.model_validate(v, from_attributes=True) for v in service.versions(db, principal=principal, ref=ref)]


@router.post("/articles/{ref}/view", status_code=204, dependencies=[require("kb.read")])
def view(ref: Ref, db: DbSession, principal: CurrentPrincipal, clock: AppClock,
         contact_ref: Annotated[str, Query(max_length=64)] = "") -> None:
    """Count a view (the desktop calls this when an agent opens an article on a contact)."""
    service.record_view(db, principal=principal, at=clock.now(), ref=ref, contact_ref=contact_ref)


@router.post("/articles/{ref}/feedback", dependencies=[require("kb.feedback")])
def feedback(ref: Ref, data: FeedbackIn, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> dict[str, int]:
    """Helpful / not helpful (with the contact it resolved, if any)."""
    art = service.vote(db, principal=principal, at=clock.now(), ref=ref, helpful=data.helpful,
                       contact_ref=data.contact_ref)
    return {"helpful": art.helpful, "not_helpful": art.not_helpful}


@router.post("/articles/{ref}/flags", status_code=201, dependencies=[require("kb.feedback")])
def flag(ref: Ref, data: FlagIn, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> dict[str, Any]:
    """Report an error or an outdated article to the editors."""
    row = service.flag(db, principal=principal, at=clock.now(), ref=ref, kind=data.kind, comment=data.comment)
    return {"id": row.id, "status": row.status}


@router.post("/submissions", status_code=201, dependencies=[require("kb.feedback")])
def submit(data: SubmissionIn, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> dict[str, Any]:
    """Submit a best practice (最佳经验申报) for the editors."""
    row = service.submit_best_practice(db, principal=principal, at=clock.now(), title=data.title, body=data.body)
    return {"id": row.id, "status": row.status}


@router.post("/submissions/{submission_id}/accept", response_model=ArticleRead, dependencies=[require("kb.edit")])
def accept(submission_id: Annotated[int, Path(ge=1, le=2_147_483_647)], db: DbSession, principal: CurrentPrincipal,
           clock: AppClock) -> ArticleRead:
    """Turn a submission into a draft article."""
    art = service.accept_submission(db, principal=principal, at=clock.now(), submission_id=submission_id)
    return read(db, art, principal)


@router.get("/queue", dependencies=[require("kb.edit")])
def queue(db: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    """The editors' review queue: articles waiting by state, open flags, open best-practice submissions."""
    waiting = service.list_articles(db, principal=principal, states=("received", "drafted", "reviewed", "updated"))
    return {
        "articles": [{"id": a.ref, "title": a.title, "state": a.state, "version": a.version, "source": a.source,
                      "updated_at": a.updated_at.isoformat()} for a in waiting
                     if allowed(principal, service.EDIT, Resource(a.org_path))],
        "flags": [{"id": f.id, "article": a.ref, "title": a.title, "kind": f.kind, "comment": f.comment,
                   "at": f.at.isoformat()} for f, a in service.open_flags(db, principal=principal)],
        "submissions": [{"id": s.id, "title": s.title, "body": s.body, "at": s.at.isoformat()}
                        for s in service.open_submissions(db, principal=principal)],
    }


@router.get("/report", dependencies=[require("kb.report")])
def report(db: DbSession, principal: CurrentPrincipal, clock: AppClock,
           days: Annotated[int, Query(ge=1, le=366)] = 30) -> dict[str, Any]:
    """Usage: views per day, helpfulness, gaps (searches without a good result), stale articles."""
    return service.usage_report(db, principal=principal, at=clock.now(), days=days)


class SynonymsIn(BaseModel):
    terms: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(min_length=2, max_length=30)


@router.get("/synonyms", dependencies=[require("kb.edit")])
def synonyms(db: DbSession) -> dict[str, Any]:
    """The editors' synonym groups (the seed dictionary ships in the package)."""
    return {"groups": [{"id": g.id, "terms": g.terms.split()} for g in service.synonym_groups(db)]}


@router.post("/synonyms", status_code=201, dependencies=[require("kb.manage")])
def add_synonyms(data: SynonymsIn, db: DbSession, principal: CurrentPrincipal, clock: AppClock) -> dict[str, Any]:
    """Add a synonym group (canonical term first); the index is rebuilt so documents use it at once."""
    row = service.add_synonyms(db, principal=principal, at=clock.now(), terms=data.terms)
    return {"id": row.id, "terms": row.terms.split()}


class FlowRunRead(BaseModel):
    id: int
    article_ref: str
    article_version: int
    contact_ref: str
    path: list[dict[str, Any]]
    started_at: datetime
    finished_at: datetime | None = None


@router.get("/flow-runs", response_model=list[FlowRunRead], dependencies=[require("kb.read")])
def flow_runs(db: DbSession, principal: CurrentPrincipal,
              contact_ref: Annotated[str, Query(min_length=1, max_length=64)]) -> list[FlowRunRead]:
    """The caller's guided-flow runs on a contact, oldest first, each with the path taken."""
    return [FlowRunRead.model_validate(r, from_attributes=True)
            for r in service.flow_runs(db, principal=principal, contact_ref=contact_ref)]
