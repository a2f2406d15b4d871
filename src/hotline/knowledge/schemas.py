"""Input and output shapes of the knowledge base (API, CLI import, pages)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hotline.core.clock import LOCAL_TZ
from hotline.core.errors import InvalidInput
from hotline.knowledge import flows
from hotline.knowledge.rules import KINDS

Kind = Literal["qa", "product", "notice", "flow", "script", "faq"]
assert set(Kind.__args__) == set(KINDS)  # type: ignore[attr-defined]


class ArticleIn(BaseModel):
    """An article as written by an editor or an import line (`id` is the article's reference)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[\w.\-:]+$")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field("", max_length=100_000)
    question: str = Field("", max_length=2000)
    answer_plain: str = Field("", max_length=20_000)
    kind: Kind = "qa"
    category: list[str] = Field(default_factory=list, max_length=3)
    keywords: list[str] = Field(default_factory=list, max_length=50)
    business_types: list[str] = Field(default_factory=list, max_length=20)
    related: list[str] = Field(default_factory=list, max_length=50)
    flow: list[dict[str, Any]] = Field(default_factory=list, max_length=200)
    effective_from: datetime | None = None
    effective_to: datetime | None = None
    org_path: str | None = Field(None, pattern=r"^/(\d+/)*$")

    @field_validator("effective_from", "effective_to")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        """Dates without a zone are local (Asia/Shanghai) business dates."""
        if v is None:
            return None
        return (v.replace(tzinfo=LOCAL_TZ) if v.tzinfo is None else v).astimezone(UTC)

    @field_validator("flow")
    @classmethod
    def _flow(cls, v: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A guided flow is checked step by step; the InvalidInput names the step (`flow.s2`)."""
        return flows.validate(v)

    @field_validator("category")
    @classmethod
    def _category(cls, v: list[str]) -> list[str]:
        if any(len(c) > 60 for c in v):
            raise ValueError("a category level has at most 60 characters")
        return v

    def snapshot(self) -> dict[str, Any]:
        """The versioned content of the article."""
        cat = [*self.category, "", "", ""][:3]
        return {
            "title": self.title, "kind": self.kind, "question": self.question, "body": self.body,
            "answer_plain": self.answer_plain, "keywords": self.keywords, "business_types": self.business_types,
            "category_l1": cat[0], "category_l2": cat[1], "category_l3": cat[2],
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "related": self.related, "flow": self.flow,
        }


def parse_article(data: Any) -> ArticleIn:
    """Validate raw data; InvalidInput names the first bad field."""
    if not isinstance(data, dict):
        raise InvalidInput("line", "expected a JSON object")
    try:
        art = ArticleIn.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidInput(".".join(str(p) for p in err["loc"]) or "article", err["msg"]) from None
    if art.effective_from and art.effective_to and art.effective_to <= art.effective_from:
        raise InvalidInput("effective_to", "must be after effective_from")
    return art


class SearchHit(BaseModel):
    id: str
    title: str
    score: float
    kind: str = ""
    category: list[str] = Field(default_factory=list)
    snippet: str = ""
    answer_plain: str = ""
