"""PURE ranking: field-weighted relevance from analysed tokens, then freshness, usage and context.

Both engines only propose candidates; this function orders them, with document frequencies from the
shared `kb_terms` table, so SQLite and PostgreSQL give the same order for the same candidates."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hotline.knowledge.analysis import Analysis, normalise

FIELDS = ("title", "question", "keywords", "body")


@dataclass(frozen=True)
class Weights:
    """Field weights and shaping constants (tuned on benchmarks/kb dev queries only)."""

    title: float = 3.0
    question: float = 2.0
    keywords: float = 2.0
    body: float = 1.0
    alt: float = 0.5
    unigram: float = 0.3  # a lone character is weak evidence
    k: float = 1.0  # saturation of a term's summed field weight
    body_ref_len: int = 150  # body length (tokens) at which body evidence counts fully
    fresh_days: float = 180.0
    fresh_boost: float = 0.05
    usage_boost: float = 0.05
    helpful_boost: float = 0.08
    business_boost: float = 0.2
    category_boost: float = 0.05  # per matching category level
    answer_boost: float = 0.1  # kinds written to answer a customer, over notices


DEFAULT_WEIGHTS = Weights()
ANSWER_KINDS = frozenset({"qa", "flow", "faq", "script", "product"})
GOOD_SCORE = 0.3  # a top result under this counts as "no good result" (a gap)


@dataclass(frozen=True)
class Candidate:
    """A search document as the ranker sees it."""

    article_id: int
    ref: str
    title: str
    fields: Mapping[str, str]  # title, question, keywords, body, alt: tokens as " t1 t2 … " (space-padded)
    kind: str = "qa"
    body_len: int = 0
    business_types: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    published_at: datetime | None = None
    views: int = 0
    helpful: int = 0
    not_helpful: int = 0


@dataclass(frozen=True)
class Context:
    """Where the search happens: the contact's business type, the work order's category."""

    business_type: str | None = None
    category: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    relevance: float


def tokens(*terms: str) -> str:
    """A token field as the ranker reads it."""
    return " " + " ".join(terms) + " "


def idf(df: int, n: int) -> float:
    """BM25 inverse document frequency."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def relevance(q: Analysis, c: Candidate, idfs: Mapping[str, float], w: Weights = DEFAULT_WEIGHTS) -> float:
    """Share of the query's (idf-weighted) evidence this candidate holds, in [0, 1)."""
    body_w = w.body * min(1.0, math.sqrt(w.body_ref_len / max(c.body_len, 1)))
    fw = ((c.fields["title"], w.title), (c.fields["question"], w.question),
          (c.fields["keywords"], w.keywords), (c.fields["body"], body_w))
    top = w.title + w.question + w.keywords + w.body
    got = total = 0.0
    for t in q.terms:
        i = idfs.get(t)
        if not i:
            continue
        if len(t) == 1:
            i *= w.unigram
        pad = f" {t} "
        x = sum(wt for f, wt in fw if pad in f)
        got += i * (x / (x + w.k)) * (top + w.k) / top
        total += i
    alt = c.fields["alt"]
    for t in q.alt:
        i = idfs.get(t)
        if not i:
            continue
        got += i * w.alt * (f" {t} " in alt)
        total += i * w.alt
    return got / total if total else 0.0


def boost(c: Candidate, ctx: Context, now: datetime, w: Weights = DEFAULT_WEIGHTS) -> float:
    """Multiplier from freshness, usage and context (≥ 1 except for disliked articles)."""
    m = 1.0
    if c.published_at is not None:
        age = max((now - c.published_at).total_seconds() / 86400.0, 0.0)
        m += w.fresh_boost * math.exp(-age / w.fresh_days)
    m += w.usage_boost * min(math.log1p(c.views) / math.log1p(1000), 1.0)
    m += w.helpful_boost * (c.helpful - c.not_helpful) / (c.helpful + c.not_helpful + 5)
    if c.kind in ANSWER_KINDS:
        m += w.answer_boost
    if ctx.business_type and ctx.business_type in c.business_types:
        m += w.business_boost
    depth = 0
    for mine, theirs in zip(ctx.category, c.category):
        if not mine or mine != theirs:
            break
        depth += 1
    return m + w.category_boost * depth


def rank(
    q: Analysis,
    candidates: Iterable[Candidate],
    *,
    dfs: Mapping[str, int],
    n_docs: int,
    now: datetime,
    ctx: Context = Context(),
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[Scored]:
    """Order candidates best first (ties by ref, so the order is total and engine-independent)."""
    idfs = {t: idf(d, max(n_docs, d)) for t, d in dfs.items() if d > 0}
    out = []
    for c in candidates:
        rel = relevance(q, c, idfs, weights)
        if rel <= 0:
            continue
        out.append(Scored(c, round(rel * boost(c, ctx, now, weights), 6), rel))
    out.sort(key=lambda s: (-s.score, s.candidate.ref))
    return out


# -- snippets ---------------------------------------------------------------------------------------
@dataclass
class _Norm:
    text: str
    origin: list[int] = field(default_factory=list)  # normalised index -> original index


def _normalised_with_map(text: str) -> _Norm:
    out = _Norm("")
    parts = []
    for i, ch in enumerate(text):
        n = normalise(ch) if ord(ch) > 127 or ch.isupper() else ch
        parts.append(n)
        out.origin.extend([i] * len(n))
    out.text = "".join(parts)
    return out


def snippet(text: str, terms: Sequence[str], *, width: int = 90) -> str:
    """An HTML-escaped excerpt of `text` around the densest matches, matches wrapped in <mark>."""
    if not text:
        return ""
    norm = _normalised_with_map(text)
    marked = [False] * len(text)
    for term in terms:
        if not term:
            continue
        start = norm.text.find(term)
        while start >= 0:
            span = range(norm.origin[start], norm.origin[start + len(term) - 1] + 1)
            if not any(marked[i] for i in span):
                for i in span:
                    marked[i] = True
            start = norm.text.find(term, start + 1)
    best, best_hits = 0, -1
    hits = 0
    for i in range(len(text)):
        hits += marked[i]
        if i >= width:
            hits -= marked[i - width]
        if hits > best_hits:
            best, best_hits = max(0, i - width + 1), hits
    lo, hi = best, min(len(text), best + width)
    pieces = ["…" if lo else ""]
    i = lo
    while i < hi:
        j = i
        while j < hi and marked[j] == marked[i]:
            j += 1
        chunk = html.escape(text[i:j])
        pieces.append(f"<mark>{chunk}</mark>" if marked[i] else chunk)
        i = j
    pieces.append("…" if hi < len(text) else "")
    return "".join(pieces)
