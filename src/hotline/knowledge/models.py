"""Knowledge-base tables. The search document (`kb_index`) holds the published text, pre-analysed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from hotline.core.db import Base

TsVector = TSVECTOR().with_variant(Text(), "sqlite")


class KbArticle(Base):
    """The working copy of an article; what agents read is the published version (`kb_versions`)."""

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="qa")
    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    answer_plain: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    business_types: Mapped[list[Any]] = mapped_column(default=list)
    category_l1: Mapped[str] = mapped_column(String(60), default="")
    category_l2: Mapped[str] = mapped_column(String(60), default="")
    category_l3: Mapped[str] = mapped_column(String(60), default="")
    flow: Mapped[list[Any]] = mapped_column(default=list)
    related: Mapped[list[Any]] = mapped_column(default=list)
    org_path: Mapped[str] = mapped_column(String(120), default="/")
    state: Mapped[str] = mapped_column(String(16), default="drafted")
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_version: Mapped[int | None]
    effective_from: Mapped[datetime | None]
    effective_to: Mapped[datetime | None]
    review_due: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(24), default="manual")
    source_ref: Mapped[str] = mapped_column(String(64), default="")
    owner_id: Mapped[int | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    views: Mapped[int] = mapped_column(Integer, default=0)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    not_helpful: Mapped[int] = mapped_column(Integer, default=0)
    linked: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_kb_articles_state", "state"), Index("ix_kb_articles_org_path", "org_path"))


class KbVersion(Base):
    """One saved version of an article: a full snapshot and the diff from the previous one."""

    __tablename__ = "kb_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    version: Mapped[int]
    at: Mapped[datetime]
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[str] = mapped_column(String(16))
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    diff: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_kb_versions_article_version"),)


class KbIndexDoc(Base):
    """The searchable, published form of an article: analysed tokens per field (space-separated).

    SQLite mirrors it into the FTS5 table `kb_fts` (external content, kept in sync by triggers);
    PostgreSQL searches `tsv`, a weighted tsvector built from the same tokens."""

    __tablename__ = "kb_index"

    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True)
    ref: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    org_path: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(200), default="")
    business_types: Mapped[list[Any]] = mapped_column(default=list)
    effective_from: Mapped[datetime | None]
    effective_to: Mapped[datetime | None]
    published_at: Mapped[datetime]
    title_t: Mapped[str] = mapped_column(Text, default="")
    question_t: Mapped[str] = mapped_column(Text, default="")
    keywords_t: Mapped[str] = mapped_column(Text, default="")
    body_t: Mapped[str] = mapped_column(Text, default="")
    alt_t: Mapped[str] = mapped_column(Text, default="")
    tsv: Mapped[str | None] = mapped_column(TsVector, nullable=True)

    __table_args__ = (
        Index("ix_kb_index_org_path", "org_path"),
        Index("ix_kb_index_tsv", "tsv", postgresql_using="gin"),
    )


class KbTerm(Base):
    """Document frequency of an index token, shared by both engines so they rank alike."""

    __tablename__ = "kb_terms"

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    df: Mapped[int] = mapped_column(Integer, default=0)


class KbSynonym(Base):
    """An editor-maintained synonym group (space-separated terms, canonical first)."""

    __tablename__ = "kb_synonyms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terms: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None]


class KbEvent(Base):
    """Usage: a view, a helpful / not-helpful vote, or a link to a resolved contact."""

    __tablename__ = "kb_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    user_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(16))
    contact_ref: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index("ix_kb_events_article_kind", "article_id", "kind"), Index("ix_kb_events_at", "at"))


class KbFlag(Base):
    """An agent's report that an article is wrong or outdated."""

    __tablename__ = "kb_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    user_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(16), default="error")
    comment: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None]


class KbSubmission(Base):
    """A best practice (最佳经验申报) an agent submits; an editor turns it into a draft article."""

    __tablename__ = "kb_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None]
    org_path: Mapped[str] = mapped_column(String(120), default="/")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    article_id: Mapped[int | None] = mapped_column(ForeignKey("kb_articles.id", ondelete="SET NULL"))


class KbSearchLog(Base):
    """One search: the query, what came first and whether it was a good result (gaps report)."""

    __tablename__ = "kb_search_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None]
    query: Mapped[str] = mapped_column(String(200))
    n_results: Mapped[int] = mapped_column(Integer, default=0)
    top_ref: Mapped[str] = mapped_column(String(64), default="")
    top_score: Mapped[float] = mapped_column(Float, default=0.0)
    good: Mapped[bool] = mapped_column(Boolean, default=False)
    business_type: Mapped[str] = mapped_column(String(40), default="")

    __table_args__ = (Index("ix_kb_search_log_at", "at"),)


class KbFlowRun(Base):
    """One walk through a guided flow: the choices in order, optionally on a contact (its ref as given)."""

    __tablename__ = "kb_flow_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_ref: Mapped[str] = mapped_column(String(64))
    article_version: Mapped[int]
    contact_ref: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[int | None]
    path: Mapped[list[Any]] = mapped_column(default=list)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_kb_flow_runs_contact_ref", "contact_ref"),
                      Index("ix_kb_flow_runs_article_ref", "article_ref"))
