"""Search ordering on a fixed small corpus (runs on SQLite, and on PostgreSQL in CI)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from hotline.core.clock import ManualClock
from hotline.knowledge import index, service
from hotline.knowledge.analysis import default_analyzer
from hotline.knowledge.ranking import Candidate, Context, rank, tokens

# query → the article that must come first (colloquial, typos, traditional, pinyin, abbreviations, short)
FIRST = [
    ("查话费", "bill-balance"),
    ("手机还剩多少钱", "bill-balance"),
    ("話費餘額", "bill-balance"),
    ("huafei", "bill-balance"),
    ("上个月打了哪些电话", "bill-detail"),
    ("彩玲", "crbt"),
    ("不要彩铃了", "crbt"),
    ("携转", "mnp"),
    ("xhzw", "mnp"),
    ("光猫红灯", "bb-down"),
    ("宽带断网", "bb-down"),
    ("网很卡", "bb-slow"),
    ("全屋wifi", "bb-slow"),
    ("PUK", "puk"),
    ("ｐｕｋ码", "puk"),
    ("打电话不能上网", "volte"),
    ("欠费停机", "suspend-arrears"),
    ("apn", "apn"),
]


@pytest.mark.parametrize("query,expected", FIRST)
def test_the_right_article_comes_first(corpus: Session, clock: ManualClock, query: str, expected: str) -> None:
    hits = service.search(corpus, query=query, at=clock.now(), limit=5)
    assert hits and hits[0].id == expected, [(h.id, h.score) for h in hits]


def test_scores_are_descending_and_limit_holds(corpus: Session, clock: ManualClock) -> None:
    hits = service.search(corpus, query="宽带 网速 上网", at=clock.now(), limit=3)
    assert len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_nonsense_and_empty_queries_find_nothing(corpus: Session, clock: ManualClock) -> None:
    assert service.search(corpus, query="", at=clock.now()) == []
    assert service.search(corpus, query="！？。", at=clock.now()) == []
    assert service.search(corpus, query="zzqx", at=clock.now()) == []


def test_common_tokens_bring_their_own_cached_lists(corpus: Session, clock: ManualClock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With every token 'common', candidates still come (from per-token lists) and match the full ranking."""
    normal = [h.id for h in service.search(corpus, query="宽带 网速", at=clock.now(), limit=5)]
    monkeypatch.setattr(index, "COMMON_MIN", 0)
    monkeypatch.setattr(index, "COMMON_SHARE", 0.0)
    got = [h.id for h in service.search(corpus, query="宽带 网速", at=clock.now(), limit=5)]
    assert len(got) >= 2 and got == normal[: len(got)]  # lists hold head-field matches, so body-only ones may drop


def test_engine_only_proposes_the_ranker_orders(corpus: Session, clock: ManualClock) -> None:
    """Re-ranking the whole corpus gives the same top results as the engine's candidates."""
    q = default_analyzer().query("宽带上不了网")
    dfs = index.document_frequencies(corpus, [*q.terms, *q.alt])
    n = index.n_docs(corpus)
    ids = index.candidates(corpus, q, dfs=dfs, n_docs=n, k=1000, prefix="/", now=clock.now())
    assert len(ids) > 3
    full = [s.candidate.ref for s in rank(q, index.load(corpus, ids), dfs=dfs, n_docs=n, now=clock.now())]
    assert [h.id for h in service.search(corpus, query="宽带上不了网", at=clock.now(), limit=len(full))] == full


def test_freshness_and_usage_break_near_ties(clock: ManualClock) -> None:
    from datetime import timedelta

    q = default_analyzer().query("话费")
    fields = {"title": tokens("话费"), "question": tokens(), "keywords": tokens(), "body": tokens(), "alt": tokens()}
    old = Candidate(1, "a-old", "话费", fields, published_at=clock.now() - timedelta(days=900))
    new = Candidate(2, "b-new", "话费", fields, published_at=clock.now())
    liked = Candidate(3, "c-liked", "话费", fields, published_at=clock.now() - timedelta(days=900),
                      views=500, helpful=40)
    order = [s.candidate.ref for s in rank(q, [old, new, liked], dfs={"话费": 1}, n_docs=3, now=clock.now())]
    assert order.index("b-new") < order.index("a-old") and order.index("c-liked") < order.index("a-old")
    ctx = rank(q, [old, new], dfs={"话费": 1}, n_docs=3, now=clock.now(), ctx=Context(category=("x",)))
    assert [s.candidate.ref for s in ctx] == ["b-new", "a-old"]
