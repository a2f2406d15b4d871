"""Knowledge-base service: articles through their lifecycle, versions, search, usage and feedback.

Every function is keyword-only and runs inside the caller's transaction. `principal=None` means the
system (CLI, jobs); otherwise the access policy decides, and an article out of scope is NotFound."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.core import audit
from hotline.core.auth import Principal, Resource, allowed, visible_prefix
from hotline.core.clock import to_local
from hotline.core.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from hotline.knowledge import flows, index, ranking, rules
from hotline.knowledge.analysis import Analyzer, parse_groups, seed_lexicon
from hotline.knowledge.models import (
    KbArticle,
    KbEvent,
    KbFlag,
    KbFlowRun,
    KbIndexDoc,
    KbSearchLog,
    KbSubmission,
    KbSynonym,
    KbTerm,
    KbVersion,
)
from hotline.knowledge.schemas import ArticleIn, SearchHit, parse_article

READ, FEEDBACK, EDIT, MANAGE, REPORT = "kb.read", "kb.feedback", "kb.edit", "kb.manage", "kb.report"
REVIEW_AFTER = timedelta(days=180)  # a published article is due for review this long after publication
CANDIDATES = 60  # how many engine candidates the ranker re-orders (plus lists of common tokens)
TARGET = "kb_article"


# -- access ---------------------------------------------------------------------------------------
def _actor(principal: Principal | None) -> audit.Actor:
    return audit.SYSTEM if principal is None else audit.Actor(principal.user_id, principal.display_name)


def _check(principal: Principal | None, permission: str, org_path: str) -> None:
    """Out of read scope → NotFound; in scope but without the permission → Forbidden."""
    if principal is None:
        return
    res = Resource(org_path)
    if not allowed(principal, READ, res) and not allowed(principal, permission, res):
        raise NotFound("article not found")
    if not allowed(principal, permission, res):
        raise Forbidden(f"{permission} is not granted", permission=permission)


def get_article(session: Session, *, principal: Principal | None, ref: str, permission: str = READ) -> KbArticle:
    """Get an article by reference, checking the permission on it."""
    art = session.scalar(select(KbArticle).where(KbArticle.ref == ref))
    if art is None:
        raise NotFound("article not found", ref=ref)
    _check(principal, permission, art.org_path)
    return art


def published_snapshot(session: Session, *, article: KbArticle) -> dict[str, Any] | None:
    """What agents read: the published version's content (None if never published)."""
    if article.published_version is None:
        return None
    return session.scalar(
        select(KbVersion.snapshot).where(
            KbVersion.article_id == article.id, KbVersion.version == article.published_version
        )
    )


def list_articles(
    session: Session, *, principal: Principal | None, states: Sequence[str] = (), limit: int = 200
) -> list[KbArticle]:
    """Articles the principal may read, newest change first (the review queue when filtered by state)."""
    stmt = select(KbArticle).order_by(KbArticle.updated_at.desc(), KbArticle.id.desc()).limit(limit)
    if states:
        stmt = stmt.where(KbArticle.state.in_(states))
    if principal is not None:
        prefix = visible_prefix(principal, READ)
        if prefix is None:
            return []
        stmt = stmt.where(KbArticle.org_path.startswith(prefix))
    return list(session.scalars(stmt))


# -- writing --------------------------------------------------------------------------------------
def _apply(art: KbArticle, data: ArticleIn) -> dict[str, Any]:
    snap = data.snapshot()
    for f in ("title", "kind", "question", "body", "answer_plain", "keywords", "business_types",
              "category_l1", "category_l2", "category_l3", "related", "flow"):
        setattr(art, f, snap[f])
    art.effective_from, art.effective_to = data.effective_from, data.effective_to
    return snap


def _new_version(
    session: Session, *, art: KbArticle, snap: dict[str, Any], previous: dict[str, Any] | None,
    principal: Principal | None, at: datetime, note: str = "",
) -> KbVersion:
    ver = KbVersion(
        article_id=art.id, version=art.version, at=at, state=art.state, snapshot=snap, note=note,
        actor_id=principal.user_id if principal else None,
        actor_name=principal.display_name if principal else "system",
        diff=rules.diff(previous, snap, old_label=f"v{art.version - 1}", new_label=f"v{art.version}"),
    )
    session.add(ver)
    return ver


def _next_ref(session: Session) -> str:
    n = (session.scalar(select(func.max(KbArticle.id))) or 0) + 1
    while session.scalar(select(KbArticle.id).where(KbArticle.ref == f"KB{n:06d}")) is not None:
        n += 1
    return f"KB{n:06d}"


def create_article(
    session: Session, *, principal: Principal | None, at: datetime, data: ArticleIn,
    state: str = "drafted", source: str = "manual", source_ref: str = "", org_path: str | None = None,
) -> KbArticle:
    """Create an article (received or drafted) with its first version."""
    if state not in ("received", "drafted"):
        raise InvalidInput("state", "a new article is received or drafted")
    path = data.org_path or org_path or (principal.province_path or principal.unit_path if principal else "/")
    _check(principal, EDIT, path)
    ref = data.id or _next_ref(session)
    if session.scalar(select(KbArticle.id).where(KbArticle.ref == ref)) is not None:
        raise InvalidInput("id", f"an article {ref} already exists")
    art = KbArticle(ref=ref, org_path=path, state=state, version=1, source=source, source_ref=source_ref,
                    owner_id=principal.user_id if principal else None, created_at=at, updated_at=at,
                    views=0, helpful=0, not_helpful=0, linked=0)
    snap = _apply(art, data)
    session.add(art)
    session.flush()
    _new_version(session, art=art, snap=snap, previous=None, principal=principal, at=at, note="created")
    audit.record(session, actor=_actor(principal), at=at, action="kb.article.create", target_type=TARGET,
                 target_id=ref, org_path=path, detail={"state": state, "source": source})
    return art


def update_article(
    session: Session, *, principal: Principal | None, at: datetime, ref: str, data: ArticleIn,
    expected_version: int | None = None, note: str = "",
) -> KbArticle:
    """Save new content as a new version (a published article becomes `updated` until republished)."""
    art = get_article(session, principal=principal, ref=ref, permission=EDIT)
    if expected_version is not None and expected_version != art.version:
        raise StaleVersion(expected=expected_version, actual=art.version)
    t = rules.transition(art.state, "edit")
    previous = session.scalar(
        select(KbVersion.snapshot).where(KbVersion.article_id == art.id, KbVersion.version == art.version)
    )
    snap = _apply(art, data)
    if snap == previous:
        return art
    art.state, art.version, art.updated_at = t.target, art.version + 1, at
    _new_version(session, art=art, snap=snap, previous=previous, principal=principal, at=at, note=note)
    audit.record(session, actor=_actor(principal), at=at, action="kb.article.edit", target_type=TARGET,
                 target_id=ref, org_path=art.org_path, detail={"version": art.version, "state": art.state})
    return art


def act(
    session: Session, *, principal: Principal | None, at: datetime, ref: str, action: str, note: str = "",
    analyzer: Analyzer | None = None,
) -> KbArticle:
    """Move an article through its lifecycle (review, reject, publish, retire, reopen)."""
    art = get_article(session, principal=principal, ref=ref)
    t = rules.transition(art.state, action)
    _check(principal, t.permission, art.org_path)
    before = art.state
    art.state, art.updated_at = t.target, at
    if t.target == "published":
        art.published_version, art.published_at, art.review_due = art.version, at, at + REVIEW_AFTER
        snap = published_snapshot(session, article=art) or {}
        index.upsert(session, analyzer or analyzer_for(session), [index.IndexItem(art, snap, at)])
    elif t.target == "retired":
        index.remove(session, [art.id])
    audit.record(session, actor=_actor(principal), at=at, action=f"kb.article.{action}", target_type=TARGET,
                 target_id=ref, org_path=art.org_path, reason=note,
                 detail={"from": before, "to": art.state, "version": art.version})
    return art


def versions(session: Session, *, principal: Principal | None, ref: str) -> list[KbVersion]:
    """An article's versions, newest first, each with its diff."""
    art = get_article(session, principal=principal, ref=ref)
    return list(session.scalars(
        select(KbVersion).where(KbVersion.article_id == art.id).order_by(KbVersion.version.desc())
    ))


def apply_schedule(session: Session, *, at: datetime) -> list[str]:
    """Retire live articles whose effective period has ended (future ones wait in the index unseen)."""
    due = list(session.scalars(select(KbArticle).where(
        KbArticle.state.in_(rules.LIVE_STATES), KbArticle.effective_to.is_not(None), KbArticle.effective_to <= at
    )))
    for art in due:
        act(session, principal=None, at=at, ref=art.ref, action="retire", note="effective period ended")
    return [a.ref for a in due]


# -- import ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def import_articles(
    session: Session, *, records: Sequence[ArticleIn], at: datetime, org_path: str = "/",
    analyzer: Analyzer | None = None,
) -> ImportResult:
    """Create or update published articles by id (the system imports; one audit row per batch)."""
    refs = [r.id for r in records if r.id]
    if len(refs) != len(records):
        raise InvalidInput("id", "every imported article needs an id")
    existing = {a.ref: a for a in session.scalars(select(KbArticle).where(KbArticle.ref.in_(refs)))}
    prev = dict(session.execute(
        select(KbVersion.article_id, KbVersion.snapshot)
        .join(KbArticle, (KbArticle.id == KbVersion.article_id) & (KbArticle.version == KbVersion.version))
        .where(KbArticle.ref.in_(refs))
    ).tuples().all()) if existing else {}
    created = updated = unchanged = 0
    touched: list[tuple[KbArticle, dict[str, Any], dict[str, Any] | None]] = []
    for rec in records:
        art = existing.get(rec.id)  # type: ignore[arg-type]
        if art is None:
            art = KbArticle(ref=rec.id, org_path=rec.org_path or org_path, version=1, source="import",
                            created_at=at, views=0, helpful=0, not_helpful=0, linked=0)
            session.add(art)
            existing[rec.id] = art  # type: ignore[index]
            created += 1
            old = None
        else:
            old = prev.get(art.id)
            if old == rec.snapshot() and art.state == "published":
                unchanged += 1
                continue
            art.version += 1
            if rec.org_path:
                art.org_path = rec.org_path
            updated += 1
        snap = _apply(art, rec)
        art.state, art.updated_at, art.published_at, art.review_due = "published", at, at, at + REVIEW_AFTER
        art.published_version = art.version
        touched.append((art, snap, old))
    session.flush()
    for art, snap, old in touched:
        _new_version(session, art=art, snap=snap, previous=old, principal=None, at=at, note="import")
    index.upsert(session, analyzer or analyzer_for(session), [index.IndexItem(a, s, at) for a, s, _ in touched])
    if touched:
        audit.record(session, actor=audit.SYSTEM, at=at, action="kb.article.import", target_type=TARGET,
                     target_id=touched[0][0].ref, org_path=org_path,
                     detail={"created": created, "updated": updated, "refs": [a.ref for a, _, _ in touched][:50]})
    return ImportResult(created, updated, unchanged)


# -- synonyms and the analyzer --------------------------------------------------------------------
_ANALYZERS: dict[tuple[str, ...], Analyzer] = {}


def analyzer_for(session: Session) -> Analyzer:
    """The analyzer for this database: the seed dictionary plus the editors' synonym groups."""
    extra = tuple(session.scalars(select(KbSynonym.terms).order_by(KbSynonym.id)))
    an = _ANALYZERS.get(extra)
    if an is None:
        lex = seed_lexicon().merged(parse_groups("\n".join(extra))) if extra else seed_lexicon()
        an = _ANALYZERS[extra] = Analyzer(lex)
    return an


def add_synonyms(session: Session, *, principal: Principal | None, at: datetime, terms: Sequence[str]) -> KbSynonym:
    """Add an editor synonym group (canonical first) and re-index so documents use it."""
    if principal is not None and not principal.can(MANAGE):
        raise Forbidden("kb.manage is not granted")
    clean = [t.strip() for t in terms if t.strip()]
    if len(clean) < 2:
        raise InvalidInput("terms", "a synonym group needs at least two terms")
    row = KbSynonym(terms=" ".join(clean), created_at=at, created_by=principal.user_id if principal else None)
    session.add(row)
    session.flush()
    audit.record(session, actor=_actor(principal), at=at, action="kb.synonyms.add", target_type="kb_synonym",
                 target_id=row.id, detail={"terms": clean})
    reindex(session)
    return row


def synonym_groups(session: Session) -> list[KbSynonym]:
    """Editor-maintained synonym groups, oldest first."""
    return list(session.scalars(select(KbSynonym).order_by(KbSynonym.id)))


def reindex(session: Session, *, batch: int = 500) -> int:
    """Rebuild every search document and the term statistics from the published versions."""
    analyzer = analyzer_for(session)
    session.query(KbIndexDoc).delete()
    session.query(KbTerm).delete()
    live = list(session.scalars(select(KbArticle).where(KbArticle.state.in_(rules.LIVE_STATES))))
    for i in range(0, len(live), batch):
        part = live[i:i + batch]
        snaps = dict(session.execute(
            select(KbVersion.article_id, KbVersion.snapshot)
            .join(KbArticle, (KbArticle.id == KbVersion.article_id) & (KbArticle.published_version == KbVersion.version))
            .where(KbArticle.id.in_([a.id for a in part]))
        ).tuples().all())
        index.upsert(session, analyzer, [index.IndexItem(a, snaps.get(a.id, {}), a.published_at or a.updated_at)
                                         for a in part])
    return len(live)


# -- search ---------------------------------------------------------------------------------------
def search(
    session: Session, *, query: str, at: datetime, limit: int = 10, principal: Principal | None = None,
    context: ranking.Context | None = None, snippets: bool = False, log: bool = False,
    analyzer: Analyzer | None = None,
) -> list[SearchHit]:
    """Search live articles the principal may read: one ranking for CLI, API and pages."""
    query = query.strip()[:200]
    context = context or ranking.Context()
    prefix = visible_prefix(principal, READ) if principal is not None else "/"
    if prefix is None:
        raise NotFound("knowledge base not available")
    analyzer = analyzer or analyzer_for(session)
    q = analyzer.query(query)
    dfs = index.document_frequencies(session, [*q.terms, *q.alt, index.DOCS, index.GENERATION])
    n_docs = dfs.pop(index.DOCS, 0)
    ids = index.candidates(session, q, dfs=dfs, n_docs=n_docs, k=max(CANDIDATES, limit), prefix=prefix, now=at)
    dfs.pop(index.GENERATION, None)
    ranked = ranking.rank(q, index.load(session, ids), dfs=dfs, n_docs=n_docs, now=at, ctx=context)[:limit]
    hits = [SearchHit(id=s.candidate.ref, title=s.candidate.title, score=s.score,
                      category=[c for c in s.candidate.category if c]) for s in ranked]
    if snippets and hits:
        terms = analyzer.highlight_terms(query)
        texts = _published_texts(session, [s.candidate.article_id for s in ranked])
        for hit, s in zip(hits, ranked):
            snap = texts.get(s.candidate.article_id, {})
            hit.kind = snap.get("kind", "")
            hit.answer_plain = snap.get("answer_plain", "")
            hit.snippet = ranking.snippet(snap.get("answer_plain") or snap.get("body") or "", terms)
    if log:
        top = ranked[0] if ranked else None
        session.add(KbSearchLog(
            at=at, user_id=principal.user_id if principal else None, query=query, n_results=len(ranked),
            top_ref=top.candidate.ref if top else "", top_score=top.score if top else 0.0,
            good=bool(top and top.relevance >= ranking.GOOD_SCORE), business_type=context.business_type or "",
        ))
    return hits


def _published_texts(session: Session, article_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    return dict(session.execute(
        select(KbVersion.article_id, KbVersion.snapshot)
        .join(KbArticle, (KbArticle.id == KbVersion.article_id) & (KbArticle.published_version == KbVersion.version))
        .where(KbVersion.article_id.in_(article_ids))
    ).tuples().all())


# -- usage and feedback ---------------------------------------------------------------------------
def _live(session: Session, principal: Principal | None, ref: str, permission: str) -> KbArticle:
    art = get_article(session, principal=principal, ref=ref, permission=permission)
    if art.state not in rules.LIVE_STATES:
        raise NotFound("article not found", ref=ref)
    return art


def record_view(session: Session, *, principal: Principal | None, at: datetime, ref: str, contact_ref: str = "") -> KbArticle:
    """Count a view of a live article by an agent (optionally on a contact)."""
    art = _live(session, principal, ref, READ)
    art.views += 1
    session.add(KbEvent(article_id=art.id, at=at, user_id=principal.user_id if principal else None,
                        kind="view", contact_ref=contact_ref))
    return art


def vote(session: Session, *, principal: Principal | None, at: datetime, ref: str, helpful: bool, contact_ref: str = "") -> KbArticle:
    """Record helpful / not helpful; a helpful vote on a contact links the article to its resolution."""
    art = _live(session, principal, ref, FEEDBACK)
    if helpful:
        art.helpful += 1
        if contact_ref:
            art.linked += 1
    else:
        art.not_helpful += 1
    session.add(KbEvent(article_id=art.id, at=at, user_id=principal.user_id if principal else None,
                        kind="helpful" if helpful else "not_helpful", contact_ref=contact_ref))
    return art


def live_flow(session: Session, *, principal: Principal | None, ref: str) -> tuple[KbArticle, dict[str, Any]]:
    """A live article and its published snapshot, for running its guided flow."""
    art = _live(session, principal, ref, READ)
    return art, published_snapshot(session, article=art) or {}


def flow_run(session: Session, *, principal: Principal | None, run_id: int) -> KbFlowRun:
    """A flow run of the principal's own (another user's run is NotFound)."""
    run = session.get(KbFlowRun, run_id)
    if run is None or (principal is not None and run.user_id != principal.user_id):
        raise NotFound("flow run not found")
    return run


def record_flow_choice(
    session: Session, *, principal: Principal | None, at: datetime, ref: str, step: str, answer: int,
    run_id: int | None = None, contact_ref: str = "",
) -> KbFlowRun:
    """Record one choice in a run of a live flow's published version (a new run when `run_id` is None)."""
    art = _live(session, principal, ref, READ)
    if run_id is None:
        run = KbFlowRun(article_ref=art.ref, article_version=art.published_version or art.version,
                        contact_ref=contact_ref[:64], user_id=principal.user_id if principal else None,
                        path=[], started_at=at)
        session.add(run)
    else:
        run = flow_run(session, principal=principal, run_id=run_id)
        if run.article_ref != art.ref or run.finished_at is not None:
            raise InvalidInput("run", "this run is finished or belongs to another article")
    steps = (session.scalar(select(KbVersion.snapshot).where(
        KbVersion.article_id == art.id, KbVersion.version == run.article_version)) or {}).get("flow", [])
    current = flows.current_step(steps, run.path)
    if current is None or current["id"] != step:
        raise InvalidInput("step", f"the run is not at step {step}")
    choice = flows.choose(current, answer)
    run.path = [*run.path, {**choice, "at": at.isoformat()}]
    if choice["final"]:
        run.finished_at = at
    session.flush()
    return run


def flow_runs(session: Session, *, principal: Principal | None, contact_ref: str) -> list[KbFlowRun]:
    """The principal's flow runs recorded on a contact, oldest first."""
    stmt = select(KbFlowRun).where(KbFlowRun.contact_ref == contact_ref).order_by(KbFlowRun.id)
    if principal is not None:
        stmt = stmt.where(KbFlowRun.user_id == principal.user_id)
    return list(session.scalars(stmt))


def flag(session: Session, *, principal: Principal | None, at: datetime, ref: str, kind: str, comment: str) -> KbFlag:
    """An agent reports an error or an outdated article; editors see it in the review queue."""
    if kind not in ("error", "outdated"):
        raise InvalidInput("kind", "error or outdated")
    if not comment.strip():
        raise InvalidInput("comment", "say what is wrong")
    art = get_article(session, principal=principal, ref=ref, permission=FEEDBACK)
    row = KbFlag(article_id=art.id, at=at, user_id=principal.user_id if principal else None, kind=kind,
                 comment=comment.strip()[:2000], status="open")
    session.add(row)
    session.flush()
    audit.record(session, actor=_actor(principal), at=at, action="kb.article.flag", target_type=TARGET,
                 target_id=ref, org_path=art.org_path, reason=comment[:200], detail={"kind": kind})
    return row


def open_flags(session: Session, *, principal: Principal | None) -> list[tuple[KbFlag, KbArticle]]:
    """Open error/outdated reports on articles the principal may edit."""
    rows = session.execute(select(KbFlag, KbArticle).join(KbArticle, KbArticle.id == KbFlag.article_id)
                           .where(KbFlag.status == "open").order_by(KbFlag.at)).tuples().all()
    return [(f, a) for f, a in rows if principal is None or allowed(principal, EDIT, Resource(a.org_path))]


def resolve_flag(session: Session, *, principal: Principal | None, at: datetime, flag_id: int) -> KbFlag:
    """Close a report once the article is fixed."""
    row = session.get(KbFlag, flag_id)
    if row is None:
        raise NotFound("flag not found")
    art = session.get(KbArticle, row.article_id)
    _check(principal, EDIT, art.org_path if art else "/")
    row.status, row.resolved_at, row.resolved_by = "resolved", at, principal.user_id if principal else None
    return row


def submit_best_practice(session: Session, *, principal: Principal, at: datetime, title: str, body: str) -> KbSubmission:
    """An agent's best practice (最佳经验申报), waiting for an editor."""
    if not principal.can(FEEDBACK):
        raise Forbidden("kb.feedback is not granted")
    if not title.strip():
        raise InvalidInput("title", "required")
    if not body.strip():
        raise InvalidInput("body", "required")
    row = KbSubmission(at=at, user_id=principal.user_id, org_path=principal.province_path or principal.unit_path,
                       title=title.strip()[:200], body=body.strip(), status="open")
    session.add(row)
    session.flush()
    return row


def open_submissions(session: Session, *, principal: Principal | None) -> list[KbSubmission]:
    rows = session.scalars(select(KbSubmission).where(KbSubmission.status == "open").order_by(KbSubmission.at))
    return [r for r in rows if principal is None or allowed(principal, EDIT, Resource(r.org_path))]


def accept_submission(session: Session, *, principal: Principal | None, at: datetime, submission_id: int) -> KbArticle:
    """Turn a best-practice submission into a draft article."""
    sub = session.get(KbSubmission, submission_id)
    if sub is None or sub.status != "open":
        raise NotFound("submission not found")
    art = create_article(session, principal=principal, at=at, source="best_practice", source_ref=str(sub.id),
                         data=ArticleIn(title=sub.title, body=sub.body, kind="qa", org_path=sub.org_path))
    sub.status, sub.article_id = "accepted", art.id
    return art


def draft_from_ticket(
    session: Session, *, at: datetime, ticket_ref: str, question: str, answer: str, org_path: str,
    category: Sequence[str] = (), business_types: Sequence[str] = (),
) -> KbArticle:
    """R-TKT-5: an unanswered consultation answered by the owning department becomes a received draft."""
    data = ArticleIn(title=question[:200], question=question, body=answer, category=list(category)[:3],
                     business_types=list(business_types), org_path=org_path)
    return create_article(session, principal=None, at=at, data=data, state="received", source="ticket",
                          source_ref=ticket_ref)


# -- usage report ---------------------------------------------------------------------------------
def usage_report(session: Session, *, principal: Principal | None, at: datetime, days: int = 30) -> dict[str, Any]:
    """Views per day, helpfulness, gaps (searches without a good result) and stale articles."""
    prefix = "/"
    if principal is not None:
        prefix = visible_prefix(principal, REPORT) or ""
        if not prefix:
            raise NotFound("report not available")
    since = at - timedelta(days=days)
    arts = {a.id: a for a in session.scalars(select(KbArticle).where(KbArticle.org_path.startswith(prefix)))}
    per_day: Counter[str] = Counter()
    votes: dict[int, Counter[str]] = defaultdict(Counter)
    for art_id, when, kind in session.execute(
        select(KbEvent.article_id, KbEvent.at, KbEvent.kind).where(KbEvent.at >= since)
    ):
        if art_id not in arts:
            continue
        if kind == "view":
            per_day[to_local(when).date().isoformat()] += 1
        votes[art_id][kind] += 1
    day_axis = [(to_local(since) + timedelta(days=i + 1)).date().isoformat() for i in range(days)]
    top = sorted(votes.items(), key=lambda kv: (-kv[1]["view"], arts[kv[0]].ref))[:15]
    gaps: Counter[str] = Counter()
    for q, good in session.execute(select(KbSearchLog.query, KbSearchLog.good).where(KbSearchLog.at >= since)):
        if not good:
            gaps[q] += 1
    stale = [a for a in arts.values() if a.state in rules.LIVE_STATES and (
        (a.review_due is not None and a.review_due <= at) or (a.effective_to is not None and a.effective_to <= at))]
    return {
        "days": day_axis,
        "views": [per_day.get(d, 0) for d in day_axis],
        "articles": [
            {"ref": arts[i].ref, "title": arts[i].title, "views": c["view"], "helpful": c["helpful"],
             "not_helpful": c["not_helpful"]} for i, c in top
        ],
        "totals": {
            "views": sum(c["view"] for c in votes.values()),
            "helpful": sum(c["helpful"] for c in votes.values()),
            "not_helpful": sum(c["not_helpful"] for c in votes.values()),
            "linked": sum(a.linked for a in arts.values()),
            "searches": session.scalar(select(func.count()).select_from(KbSearchLog).where(KbSearchLog.at >= since)) or 0,
            "gaps": sum(gaps.values()),
        },
        "gaps": [{"query": q, "count": n} for q, n in sorted(gaps.items(), key=lambda kv: (-kv[1], kv[0]))[:20]],
        "stale": [{"ref": a.ref, "title": a.title} for a in sorted(stale, key=lambda a: a.ref)],
    }



DEMO_ARTICLES = Path(__file__).resolve().parent / "data" / "articles.jsonl"


def seed_demo(*, db_session: Session, now: datetime, config: dict[str, Any]) -> None:
    """The demo knowledge base: the hand-written telecom articles, published in the first demo province."""
    from hotline.org import service as org_service

    province = org_service.unit_by_code(db_session=db_session, code=config["provinces"][0]["code"])
    lines = DEMO_ARTICLES.read_text(encoding="utf-8").splitlines()
    records = [parse_article(json.loads(line)) for line in lines if line.strip()]
    import_articles(db_session, records=records, at=now, org_path=province.path if province else "/")
