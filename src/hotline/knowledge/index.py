"""The search index: analysed search documents (`kb_index`) and the engine structures over them.

SQLite: an FTS5 table `kb_fts` with external content `kb_index`, kept in sync by triggers, ranked by
bm25 with field weights. PostgreSQL: a weighted tsvector (`kb_index.tsv`, GIN-indexed) built from the
very same tokens. Both only propose candidates; `ranking.rank` orders them. Engine structures are
derived data: `ensure` creates them on first use and `rebuild` regenerates them from `kb_index`."""

from __future__ import annotations

import secrets
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from hotline.core.db import UTCDateTime
from hotline.knowledge.analysis import Analysis, Analyzer
from hotline.knowledge.models import KbArticle, KbIndexDoc, KbTerm
from hotline.knowledge.ranking import ANSWER_KINDS, Candidate

TOKEN_FIELDS = ("title_t", "question_t", "keywords_t", "body_t", "alt_t")
BM25 = "bm25(3.0, 2.0, 2.0, 1.0, 0.5, 0.0)"
PG_WEIGHT = {"title_t": "A", "question_t": "B", "keywords_t": "B", "alt_t": "C", "body_t": "D"}
MAX_TOKEN = 64
DOCS = ""  # the kb_terms row whose df is the number of indexed documents
GENERATION = "#gen"  # the kb_terms row whose df changes (randomly) whenever the index changes

_FTS_DDL = [
    ("CREATE VIRTUAL TABLE kb_fts USING fts5(title_t, question_t, keywords_t, body_t, alt_t, kind, "
     "content='kb_index', content_rowid='article_id', tokenize='unicode61 remove_diacritics 0')"),
    f"INSERT INTO kb_fts(kb_fts, rank) VALUES('rank', '{BM25}')",
    ("CREATE TRIGGER kb_index_fts_ai AFTER INSERT ON kb_index BEGIN "
     "INSERT INTO kb_fts(rowid, title_t, question_t, keywords_t, body_t, alt_t, kind) VALUES "
     "(new.article_id, new.title_t, new.question_t, new.keywords_t, new.body_t, new.alt_t, new.kind); END"),
    ("CREATE TRIGGER kb_index_fts_ad AFTER DELETE ON kb_index BEGIN "
     "INSERT INTO kb_fts(kb_fts, rowid, title_t, question_t, keywords_t, body_t, alt_t, kind) VALUES "
     "('delete', old.article_id, old.title_t, old.question_t, old.keywords_t, old.body_t, old.alt_t, old.kind); END"),
    ("CREATE TRIGGER kb_index_fts_au AFTER UPDATE ON kb_index BEGIN "
     "INSERT INTO kb_fts(kb_fts, rowid, title_t, question_t, keywords_t, body_t, alt_t, kind) VALUES "
     "('delete', old.article_id, old.title_t, old.question_t, old.keywords_t, old.body_t, old.alt_t, old.kind); "
     "INSERT INTO kb_fts(rowid, title_t, question_t, keywords_t, body_t, alt_t, kind) VALUES "
     "(new.article_id, new.title_t, new.question_t, new.keywords_t, new.body_t, new.alt_t, new.kind); END"),
    "INSERT INTO kb_fts(kb_fts) VALUES('rebuild')",
]


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def ensure(session: Session) -> None:
    """Create SQLite's FTS5 table and its triggers if this database has none yet (PostgreSQL's GIN index
    on kb_index.tsv comes with the migration)."""
    if dialect(session) == "sqlite":
        exists = session.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'kb_fts'")).first()
        if not exists:
            for stmt in _FTS_DDL:
                session.execute(text(stmt))


# -- documents ------------------------------------------------------------------------------------
def document_tokens(analyzer: Analyzer, snap: Mapping[str, Any]) -> dict[str, list[str]]:
    """Analyse a published snapshot into token lists per index field."""
    title = analyzer.analyse(snap.get("title") or "", unigrams=True)
    question = analyzer.analyse(snap.get("question") or "", unigrams=True)
    keywords = analyzer.analyse(" , ".join(snap.get("keywords") or []), unigrams=True)
    body = analyzer.analyse(
        "\n".join(x for x in (snap.get("body"), snap.get("answer_plain")) if x), alt=False
    )
    alt = dict.fromkeys([*title.alt, *question.alt, *keywords.alt])
    return {
        "title_t": _clip(title.terms), "question_t": _clip(question.terms),
        "keywords_t": _clip(keywords.terms), "body_t": _clip(body.terms), "alt_t": _clip(alt),
    }


def _clip(tokens: Iterable[str]) -> list[str]:
    return [t for t in tokens if len(t) <= MAX_TOKEN]


def _terms_of(fields: Mapping[str, Sequence[str]] | None) -> set[str]:
    out: set[str] = set()
    for f in TOKEN_FIELDS:
        out.update((fields or {}).get(f, ()))
    return out


def tsvector_literal(fields: Mapping[str, Sequence[str]]) -> str:
    """A PostgreSQL tsvector literal with one weighted position per token and field."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for f in TOKEN_FIELDS:
        for tok in fields.get(f, ()):
            pos = min(pos + 1, 16383)
            positions.setdefault(tok, []).append(f"{pos}{PG_WEIGHT[f]}")
    return " ".join(f"'{tok}':{','.join(p)}" for tok, p in positions.items())


@dataclass(frozen=True)
class IndexItem:
    """An article to (re)index with the snapshot of its published version."""

    article: KbArticle
    snapshot: Mapping[str, Any]
    published_at: datetime


def upsert(session: Session, analyzer: Analyzer, items: Sequence[IndexItem]) -> None:
    """Write search documents for published articles and keep document frequencies in step."""
    if not items:
        return
    ensure(session)
    pg = dialect(session) == "postgresql"
    ids = [it.article.id for it in items]
    old = {d.article_id: d for d in session.scalars(select(KbIndexDoc).where(KbIndexDoc.article_id.in_(ids)))}
    delta: Counter[str] = Counter()
    for it in items:
        fields = document_tokens(analyzer, it.snapshot)
        doc = old.get(it.article.id)
        if doc is not None:
            delta.subtract(_terms_of({f: getattr(doc, f).split() for f in TOKEN_FIELDS}))
        else:
            doc = KbIndexDoc(article_id=it.article.id)
            session.add(doc)
            delta[DOCS] += 1
        delta.update(_terms_of(fields))
        s = it.snapshot
        doc.ref = it.article.ref
        doc.title = s.get("title") or ""
        doc.kind = s.get("kind") or "qa"
        doc.org_path = it.article.org_path
        doc.category = "/".join(s.get(f"category_l{i}") or "" for i in (1, 2, 3))
        doc.business_types = list(s.get("business_types") or [])
        doc.effective_from = it.article.effective_from
        doc.effective_to = it.article.effective_to
        doc.published_at = it.published_at
        for f in TOKEN_FIELDS:
            setattr(doc, f, " ".join(fields[f]))
        doc.tsv = tsvector_literal(fields) if pg else None
    session.flush()
    _apply_df(session, delta)


def remove(session: Session, article_ids: Sequence[int]) -> None:
    """Take articles out of the search index."""
    docs = list(session.scalars(select(KbIndexDoc).where(KbIndexDoc.article_id.in_(article_ids))))
    if not docs:
        return
    ensure(session)
    delta: Counter[str] = Counter()
    for doc in docs:
        delta.subtract(_terms_of({f: getattr(doc, f).split() for f in TOKEN_FIELDS}))
        delta[DOCS] -= 1
        session.delete(doc)
    session.flush()
    _apply_df(session, delta)


def _apply_df(session: Session, delta: Counter[str]) -> None:
    rows = [{"t": t, "d": d} for t, d in delta.items() if d]
    session.execute(
        text("INSERT INTO kb_terms (term, df) VALUES (:t, :d) ON CONFLICT (term) DO UPDATE SET df = excluded.df"),
        {"t": GENERATION, "d": secrets.randbits(31)},
    )
    if rows:
        session.execute(
            text(
                "INSERT INTO kb_terms (term, df) VALUES (:t, :d) "
                "ON CONFLICT (term) DO UPDATE SET df = kb_terms.df + excluded.df"
            ),
            rows,
        )


# -- querying -------------------------------------------------------------------------------------
COMMON_SHARE = 0.01  # a term in more than this share of documents does not select candidates…
COMMON_MIN = 200  # …unless the index is small; it still counts when the ranker scores them


def _visible(prefix: str | None, now: datetime) -> tuple[str, dict[str, Any]]:
    sql = (" AND (d.effective_from IS NULL OR d.effective_from <= :now)"
           " AND (d.effective_to IS NULL OR d.effective_to > :now)")
    params: dict[str, Any] = {"now": now}
    if prefix and prefix != "/":
        sql += " AND d.org_path LIKE :prefix"
        params["prefix"] = prefix + "%"
    return sql, params


def fts5_query(q: Analysis, *, head: bool = False) -> str:
    """The FTS5 MATCH expression: lexical tokens in the text fields, pinyin tokens in alt."""
    parts = []
    cols = "title_t question_t keywords_t" + ("" if head else " body_t")
    if q.terms:
        parts.append("{" + cols + "} : (" + " OR ".join(f'"{t}"' for t in q.terms) + ")")
    if q.alt:
        parts.append("alt_t : (" + " OR ".join(f'"{t}"' for t in q.alt) + ")")
    return " OR ".join(parts)


def tsquery_literal(q: Analysis, *, head: bool = False) -> str:
    """The PostgreSQL tsquery: lexical tokens on weights A, B (and D, the body); pinyin tokens on C."""
    w = "AB" if head else "ABD"
    return " | ".join([*(f"'{t}':{w}" for t in q.terms), *(f"'{t}':C" for t in q.alt)])


def split_common(q: Analysis, dfs: Mapping[str, int], n_docs: int) -> tuple[Analysis, list[tuple[str, str]]]:
    """Known query tokens split into selective ones (the engine ranks them) and very common ones
    (each brings its own cached top list), rarest first."""
    limit = max(COMMON_MIN, COMMON_SHARE * n_docs)
    known = [(t, "terms") for t in q.terms if dfs.get(t, 0) > 0 and len(t) <= MAX_TOKEN]
    known += [(t, "alt") for t in q.alt if dfs.get(t, 0) > 0 and len(t) <= MAX_TOKEN]
    rare = [(t, f) for t, f in known if dfs[t] <= limit]
    common = sorted(((t, f) for t, f in known if dfs[t] > limit), key=lambda tf: (dfs[tf[0]], tf))
    return Analysis(tuple(t for t, f in rare if f == "terms"), tuple(t for t, f in rare if f == "alt")), common


def candidates(
    session: Session, q: Analysis, *, dfs: Mapping[str, int], n_docs: int, k: int, prefix: str | None,
    now: datetime,
) -> list[int]:
    """Ids of visible articles worth ranking: the engine's best for the selective tokens, plus the best
    documents of each very common token (cached per index generation), visible ones only."""
    rare, common = split_common(q, dfs, n_docs)
    found: dict[int, None] = {}
    if rare.terms or rare.alt:  # as for common tokens, some slots are kept for articles that answer
        found.update(dict.fromkeys(_ranked(session, rare, k=k // 2, answers=True)))
        found.update(dict.fromkeys(_ranked(session, rare, k=k)))
    for term, field in common[:MAX_COMMON]:
        found.update(dict.fromkeys(_top_for(session, term, field, k=k // 2, generation=dfs.get(GENERATION, 0))))
    if not found:
        return []
    where, params = _visible(prefix, now)
    ids = list(found)
    seen = {r[0] for r in session.execute(
        _timed("SELECT d.article_id FROM kb_index d WHERE d.article_id IN (" + ",".join(map(str, ids)) + ")" + where),
        params)}
    if len(seen) >= min(k, len(ids)) // 2:
        return [i for i in ids if i in seen]
    # Most of what was found is out of this principal's scope: rank inside the visible part instead.
    return _ranked(session, Analysis(rare.terms + tuple(t for t, f in common if f == "terms"),
                                     rare.alt + tuple(t for t, f in common if f == "alt")),
                   k=k, where=where, params=params)


MAX_COMMON = 3  # common tokens that bring their own lists (the rarest ones)
_TOP_SIZE = 4096
_top_lock = threading.Lock()
_top_cache: OrderedDict[tuple[str, int, str, str, int], list[int]] = OrderedDict()


def _top_for(session: Session, term: str, field: str, *, k: int, generation: int) -> list[int]:
    key = (str(session.get_bind().engine.url), generation, term, field, k)
    with _top_lock:
        hit = _top_cache.get(key)
        if hit is not None:
            _top_cache.move_to_end(key)
            return hit
    one = Analysis((term,), ()) if field == "terms" else Analysis((), (term,))
    # half the slots for kinds that answer a customer, so a flood of notices cannot crowd them out
    answers = _ranked(session, one, k=k // 2, head=True, answers=True)
    ids = list(dict.fromkeys([*answers, *_ranked(session, one, k=k, head=True)]))[:k]
    with _top_lock:
        _top_cache[key] = ids
        while len(_top_cache) > _TOP_SIZE:
            _top_cache.popitem(last=False)
    return ids


def warm(session: Session, *, max_terms: int = 400, k: int = 30) -> int:
    """Precompute the lists of the commonest tokens (start-up, after bulk imports); returns how many."""
    stats = document_frequencies(session, [DOCS, GENERATION])
    limit = max(COMMON_MIN, COMMON_SHARE * stats.get(DOCS, 0))
    rows = session.execute(
        select(KbTerm.term).where(KbTerm.df > limit, KbTerm.term.not_in([DOCS, GENERATION]))
        .order_by(KbTerm.df.desc()).limit(max_terms)
    ).scalars().all()
    n = 0
    for term in rows:
        for field in ("terms", "alt") if term.isascii() else ("terms",):
            _top_for(session, term, field, k=k, generation=stats.get(GENERATION, 0))
            n += 1
    return n


def _ranked(
    session: Session, q: Analysis, *, k: int, where: str = "", params: dict[str, Any] | None = None,
    head: bool = False, answers: bool = False,
) -> list[int]:
    """The engine's own best k for a query: optionally only rows passing `where` (on kb_index d), lexical
    tokens only in title, question and keywords (`head`), only kinds that answer a customer (`answers`)."""
    params = dict(params or {})
    kinds = sorted(ANSWER_KINDS)
    if dialect(session) == "postgresql":
        if answers:
            where += " AND d.kind IN (" + ",".join(f"'{kd}'" for kd in kinds) + ")"
        params.update(q=tsquery_literal(q, head=head), k=k)
        sql = ("SELECT d.article_id FROM kb_index d WHERE d.tsv @@ CAST(:q AS tsquery)" + where
               + " ORDER BY ts_rank(d.tsv, CAST(:q AS tsquery)) DESC, d.article_id LIMIT :k")
    else:
        ensure(session)
        match = fts5_query(q, head=head)
        if answers:  # an AND on FTS5's kind column, far cheaper than a join
            match = f"({match}) AND kind : ({' OR '.join(kinds)})"
        params.update(q=match, k=k)
        sql = ("SELECT kb_fts.rowid FROM kb_fts" + (" JOIN kb_index d ON d.article_id = kb_fts.rowid" if where else "")
               + " WHERE kb_fts MATCH :q" + where + " ORDER BY kb_fts.rank LIMIT :k")
    return [r[0] for r in session.execute(_timed(sql) if ":now" in sql else text(sql), params)]


def _timed(sql: str):  # type: ignore[no-untyped-def]
    """A text statement whose :now parameter is a UTC timestamp."""
    return text(sql).bindparams(bindparam("now", type_=UTCDateTime()))


def load(session: Session, ids: Sequence[int]) -> list[Candidate]:
    """Candidates with their token fields (space-padded strings) and usage counts."""
    if not ids:
        return []
    d, a = KbIndexDoc, KbArticle
    rows = session.execute(
        select(d.article_id, d.ref, d.title, d.kind, d.business_types, d.category, d.published_at, d.title_t,
               d.question_t, d.keywords_t, d.body_t, d.alt_t, a.views, a.helpful, a.not_helpful)
        .join(a, a.id == d.article_id)
        .where(d.article_id.in_(ids))
    ).tuples()
    return [
        Candidate(
            article_id=r[0], ref=r[1], title=r[2], kind=r[3], business_types=tuple(r[4] or ()),
            category=tuple(r[5].split("/")), published_at=r[6],
            fields={"title": f" {r[7]} ", "question": f" {r[8]} ", "keywords": f" {r[9]} ", "body": f" {r[10]} ",
                    "alt": f" {r[11]} "},
            body_len=r[10].count(" ") + 1 if r[10] else 0, views=r[12], helpful=r[13], not_helpful=r[14],
        )
        for r in rows
    ]


def document_frequencies(session: Session, terms: Iterable[str]) -> dict[str, int]:
    terms = list(dict.fromkeys(terms))
    if not terms:
        return {}
    return dict(session.execute(select(KbTerm.term, KbTerm.df).where(KbTerm.term.in_(terms))).tuples().all())


def n_docs(session: Session) -> int:
    return session.scalar(select(KbTerm.df).where(KbTerm.term == DOCS)) or 0
