"""Articles through the lifecycle by role, versions, audit, feedback and search in context."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.core.auth import Principal
from hotline.core.clock import ManualClock
from hotline.core.errors import Forbidden, IllegalTransition, NotFound, StaleVersion
from hotline.core.models import AuditEntry
from hotline.knowledge import service
from hotline.knowledge.models import KbTerm
from hotline.knowledge.ranking import Context
from hotline.knowledge.schemas import ArticleIn

NEW = ArticleIn(title="国际漫游开通指南", question="客户要出国怎么用手机",
                body="出国前拨打10000或通过掌上营业厅开通国际漫游，可订购漫游流量包。",
                answer_plain="您出国前打10000开通国际漫游就可以了，还能订一个漫游流量包。",
                category=["国际业务", "漫游", "开通"], keywords=["国漫"], business_types=["mobile"])


def ids(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.id for h in hits]


def test_editor_takes_an_article_from_draft_to_published(db: Session, clock: ManualClock, editor: Principal) -> None:
    art = service.create_article(db, principal=editor, at=clock.now(), data=NEW)
    assert art.state == "drafted" and art.org_path == "/1/2/"
    assert service.search(db, query="出国", at=clock.now()) == []
    service.act(db, principal=editor, at=clock.now(), ref=art.ref, action="review")
    service.act(db, principal=editor, at=clock.now(), ref=art.ref, action="publish")
    assert art.state == "published" and art.published_version == 1
    assert ids(service.search(db, query="出国用手机", at=clock.now())) == [art.ref]
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == art.ref)).all()
    assert actions == ["kb.article.create", "kb.article.review", "kb.article.publish"]


def test_an_agent_cannot_publish_or_edit(db: Session, clock: ManualClock, editor: Principal, agent: Principal) -> None:
    art = service.create_article(db, principal=editor, at=clock.now(), data=NEW)
    service.act(db, principal=editor, at=clock.now(), ref=art.ref, action="review")
    with pytest.raises(Forbidden):
        service.act(db, principal=agent, at=clock.now(), ref=art.ref, action="publish")
    with pytest.raises(Forbidden):
        service.update_article(db, principal=agent, at=clock.now(), ref=art.ref, data=NEW)
    with pytest.raises(Forbidden):
        service.create_article(db, principal=agent, at=clock.now(), data=NEW)
    assert art.state == "reviewed"


def test_a_trainer_drafts_but_cannot_review_or_publish(db: Session, clock: ManualClock, trainer: Principal) -> None:
    art = service.create_article(db, principal=trainer, at=clock.now(), data=NEW)
    with pytest.raises(Forbidden):
        service.act(db, principal=trainer, at=clock.now(), ref=art.ref, action="review")


def test_out_of_scope_articles_are_not_found(db: Session, clock: ManualClock, editor: Principal, make_principal) -> None:  # type: ignore[no-untyped-def]
    art = service.create_article(db, principal=editor, at=clock.now(), data=NEW)
    other_agent = make_principal("agent", user_id=21, province="/1/3/")
    other_editor = make_principal("knowledge_editor", user_id=22, province="/1/3/")
    with pytest.raises(NotFound):
        service.get_article(db, principal=other_agent, ref=art.ref)
    with pytest.raises(NotFound):
        service.act(db, principal=other_editor, at=clock.now(), ref=art.ref, action="review")


def test_search_is_limited_to_the_agents_province(corpus: Session, clock: ManualClock, make_principal) -> None:  # type: ignore[no-untyped-def]
    mine = make_principal("agent", user_id=31)
    other = make_principal("agent", user_id=32, province="/1/3/")
    assert ids(service.search(corpus, query="彩铃", at=clock.now(), principal=mine))[:1] == ["crbt"]
    assert service.search(corpus, query="彩铃", at=clock.now(), principal=other) == []
    with pytest.raises(NotFound):
        service.search(corpus, query="彩铃", at=clock.now(), principal=make_principal("workforce_planner"))


def test_versions_with_diffs_and_the_updated_state(db: Session, clock: ManualClock, editor: Principal, agent: Principal) -> None:
    art = service.create_article(db, principal=editor, at=clock.now(), data=NEW)
    for action in ("review", "publish"):
        service.act(db, principal=editor, at=clock.now(), ref=art.ref, action=action)
    clock.advance(hours=1)
    changed = NEW.model_copy(update={"body": "出国前开通国际漫游，推荐订购日租型漫游流量包。", "title": "国际漫游开通"})
    with pytest.raises(StaleVersion):
        service.update_article(db, principal=editor, at=clock.now(), ref=art.ref, data=changed, expected_version=9)
    service.update_article(db, principal=editor, at=clock.now(), ref=art.ref, data=changed, expected_version=1)
    assert art.state == "updated" and art.version == 2 and art.published_version == 1
    # agents still read, and search, the published version until the update is published
    assert service.published_snapshot(db, article=art)["title"] == "国际漫游开通指南"
    assert service.search(db, query="出国", at=clock.now(), principal=agent)[0].title == "国际漫游开通指南"
    vs = service.versions(db, principal=editor, ref=art.ref)
    assert [v.version for v in vs] == [2, 1]
    assert "+title: 国际漫游开通" in vs[0].diff and "-title: 国际漫游开通指南" in vs[0].diff
    for action in ("review", "publish"):
        service.act(db, principal=editor, at=clock.now(), ref=art.ref, action=action)
    assert service.search(db, query="出国", at=clock.now(), principal=agent)[0].title == "国际漫游开通"
    with pytest.raises(IllegalTransition):
        service.act(db, principal=editor, at=clock.now(), ref=art.ref, action="publish")


def test_retiring_removes_from_search_and_keeps_term_statistics_exact(corpus: Session, clock: ManualClock, editor: Principal) -> None:
    before = dict(corpus.execute(select(KbTerm.term, KbTerm.df)).tuples().all())
    assert before["彩铃"] >= 1
    service.act(corpus, principal=editor, at=clock.now(), ref="crbt", action="retire")
    assert "crbt" not in ids(service.search(corpus, query="彩铃", at=clock.now()))
    after = dict(corpus.execute(select(KbTerm.term, KbTerm.df)).tuples().all())
    assert after["彩铃"] == before["彩铃"] - 1
    art = service.act(corpus, principal=editor, at=clock.now(), ref="crbt", action="reopen")
    assert art.state == "drafted" and "crbt" not in ids(service.search(corpus, query="彩铃", at=clock.now()))


def test_effective_dates_schedule_visibility_and_expiry(db: Session, clock: ManualClock) -> None:
    from datetime import timedelta

    start = clock.now() + timedelta(days=2)
    data = NEW.model_copy(update={"id": "sched", "effective_from": start, "effective_to": start + timedelta(days=5)})
    service.import_articles(db, records=[data], at=clock.now())
    assert service.search(db, query="国际漫游", at=clock.now()) == []
    assert ids(service.search(db, query="国际漫游", at=start)) == ["sched"]
    assert service.apply_schedule(db, at=start + timedelta(days=1)) == []
    assert service.apply_schedule(db, at=start + timedelta(days=5)) == ["sched"]
    assert service.search(db, query="国际漫游", at=start + timedelta(days=1)) == []


def test_feedback_flags_and_best_practice(corpus: Session, clock: ManualClock, agent: Principal, editor: Principal) -> None:
    service.record_view(corpus, principal=agent, at=clock.now(), ref="crbt")
    art = service.vote(corpus, principal=agent, at=clock.now(), ref="crbt", helpful=True, contact_ref="C1")
    assert (art.views, art.helpful, art.linked) == (1, 1, 1)
    f = service.flag(corpus, principal=agent, at=clock.now(), ref="crbt", kind="outdated", comment="功能费已调整为6元")
    assert [x.id for x, _ in service.open_flags(corpus, principal=editor)] == [f.id]
    assert service.open_flags(corpus, principal=agent) == []
    sub = service.submit_best_practice(corpus, principal=agent, at=clock.now(), title="老人查话费技巧",
                                       body="先让老人按1再按2，慢慢引导。")
    with pytest.raises(Forbidden):
        service.accept_submission(corpus, principal=agent, at=clock.now(), submission_id=sub.id)
    draft = service.accept_submission(corpus, principal=editor, at=clock.now(), submission_id=sub.id)
    assert draft.state == "drafted" and draft.source == "best_practice"
    report = service.usage_report(corpus, principal=None, at=clock.now())
    assert report["totals"]["views"] == 1 and report["totals"]["helpful"] == 1
    assert report["articles"][0]["ref"] == "crbt"
    assert report["stale"] == []
    later = service.usage_report(corpus, principal=None, at=clock.now() + service.REVIEW_AFTER)
    live = {a.ref for a in service.list_articles(corpus, principal=None, states=("published",))}
    assert len(live) == 10 and {x["ref"] for x in later["stale"]} == live


def test_a_ticket_answer_becomes_a_received_draft(db: Session, clock: ManualClock, editor: Principal) -> None:
    art = service.draft_from_ticket(db, at=clock.now(), ticket_ref="T-9", question="副卡能单独销户吗",
                                    answer="副卡可单独办理销户，需主卡机主本人到厅。", org_path="/1/2/")
    assert (art.state, art.source, art.source_ref) == ("received", "ticket", "T-9")
    service.update_article(db, principal=editor, at=clock.now(), ref=art.ref,
                           data=ArticleIn(title="副卡单独销户", body=art.body, question=art.question))
    assert art.state == "drafted"


def test_gaps_are_logged_searches_without_a_good_result(corpus: Session, clock: ManualClock, agent: Principal) -> None:
    service.search(corpus, query="彩铃怎么退", at=clock.now(), principal=agent, log=True)
    service.search(corpus, query="无人机航拍许可", at=clock.now(), principal=agent, log=True)
    report = service.usage_report(corpus, principal=None, at=clock.now())
    assert [g["query"] for g in report["gaps"]] == ["无人机航拍许可"]


def test_context_business_type_lifts_matching_articles(corpus: Session, clock: ManualClock) -> None:
    plain = service.search(corpus, query="网速慢 上不了网", at=clock.now())
    boosted = service.search(corpus, query="网速慢 上不了网", at=clock.now(), context=Context(business_type="broadband"))
    rank = {h.id: i for i, h in enumerate(boosted)}
    assert rank["bb-slow"] < rank["apn"]
    assert {h.id: h.score for h in boosted}["bb-slow"] > {h.id: h.score for h in plain}["bb-slow"]


def test_snippets_are_escaped_and_highlighted(db: Session, clock: ManualClock) -> None:
    data = NEW.model_copy(update={"id": "xss", "answer_plain": "<script>alert(1)</script> 出国前打10000开通国际漫游"})
    service.import_articles(db, records=[data], at=clock.now())
    hit = service.search(db, query="国漫", at=clock.now(), snippets=True)[0]
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert "<mark>国际漫游</mark>" in hit.snippet



def test_jobs_warm_the_caches_and_retire_expired_articles(tmp_path, clock: ManualClock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from hotline.core import migrate
    from hotline.core.db import make_engine, make_sessionmaker, transaction
    from hotline.core.testing import fresh_database_url
    from hotline.knowledge import index, jobs

    eng = make_engine(fresh_database_url(tmp_path, "kbjobs"))
    migrate.upgrade(eng)
    factory = make_sessionmaker(eng)
    with transaction(factory) as s:
        service.import_articles(s, records=[NEW.model_copy(update={"id": "roam", "effective_to": clock.now()
                                                                   + timedelta(days=1)})], at=clock.now())
    monkeypatch.setattr(index, "COMMON_MIN", 0)
    index._top_cache.clear()
    assert jobs.warm(factory) > 0 and len(index._top_cache) > 0
    assert jobs.expire(factory, clock) == []
    clock.advance(days=2)
    assert jobs.expire(factory, clock) == ["roam"]
    with factory() as s:
        assert service.get_article(s, principal=None, ref="roam").state == "retired"
    eng.dispose()
