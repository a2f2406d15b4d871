"""The analyzer: normalisation, segmentation, synonyms, pinyin, homophones; and its properties."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.knowledge.analysis import Analyzer, Lexicon, default_analyzer, normalise, split_pinyin

A = default_analyzer()
TOKEN = re.compile(r"^[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


def terms(text: str) -> set[str]:
    return set(A.query(text).terms)


def test_normalise_width_case_and_traditional() -> None:
    assert normalise("ＡＰＮ　５Ｇ") == "apn 5g"
    assert normalise("VoLTE") == "volte"
    assert normalise("寬帶話費帳單") == "宽带话费账单"


def test_segmentation_words_and_bigrams() -> None:
    t = terms("宽带故障报修")
    assert {"宽带", "故障", "报修", "带故", "障报"} <= t


def test_stop_words_are_dropped_and_bridged() -> None:
    t = terms("我的话费怎么查")
    assert "话费" in t
    assert not t & {"我", "的", "怎么", "费怎", "么查"}
    assert "补卡" in terms("补一张卡要带什么")  # the stop words between 补 and 卡 are skipped


def test_synonyms_and_abbreviations_map_to_the_canonical_term() -> None:
    assert "携号转网" in terms("携转")
    assert "国际漫游" in terms("国漫")
    assert A.lexicon.canonical["高清通话"] == "volte"
    assert "volte" in terms("高清通话怎么开")


def test_pinyin_and_initials() -> None:
    assert "话费" in terms("chahuafei")
    assert "携号转网" in terms("xhzw")
    assert "huafei" in A.query("chahuafei").alt
    assert split_pinyin("xian") in (("xian",), ("xi", "an"))
    assert split_pinyin("qqq") is None


def test_homophone_typos_meet_the_right_term() -> None:
    assert "彩铃" in terms("彩玲怎么开")
    assert "流量" in terms("流亮不够用")
    assert "套餐" in terms("套参")
    # a bigram's pinyin reaches words outside the dictionary too
    doc = A.analyse("营业厅", alt=True)
    assert set(A.query("营叶厅").alt) & set(doc.alt)


def test_editor_synonyms_extend_the_seed() -> None:
    an = Analyzer(A.lexicon.merged([["翼支付", "甜橙支付"]]))
    assert "翼支付" in an.query("甜橙支付").terms
    assert an.lexicon.canonical["携转"] == "携号转网"


def test_lexicon_keeps_the_first_canonical_when_groups_overlap() -> None:
    lex = Lexicon.from_groups([["话费", "电话费"], ["电话费", "通话费"]])
    assert lex.canonical == {"话费": "话费", "电话费": "话费", "通话费": "话费"}


def test_highlight_terms_cover_synonyms() -> None:
    marks = A.highlight_terms("携转")
    assert "携号转网" in marks and "携转" in marks


cjk = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=12)
anytext = st.text(max_size=40)


@settings(max_examples=150, deadline=None)
@given(anytext)
def test_tokens_are_single_engine_tokens(text: str) -> None:
    a = A.analyse(text, unigrams=True)
    q = A.query(text)
    assert all(TOKEN.match(t) for t in (*a.terms, *a.alt, *q.terms, *q.alt))


@settings(max_examples=150, deadline=None)
@given(anytext)
def test_normalise_is_idempotent(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


@settings(max_examples=150, deadline=None)
@given(cjk)
def test_a_chinese_query_finds_its_own_text(text: str) -> None:
    """Every lexical token of a query also indexes the same text (so a title copy always matches)."""
    assert set(A.query(text).terms) <= set(A.analyse(text, unigrams=True).terms)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 ", min_size=1, max_size=20))
def test_full_width_and_upper_case_analyse_alike(text: str) -> None:
    wide = "".join(chr(ord(c) + 0xFEE0) if c != " " else "\u3000" for c in text.upper())
    assert A.query(wide) == A.query(text)


@settings(max_examples=100, deadline=None)
@given(anytext)
def test_analysis_is_deterministic(text: str) -> None:
    assert A.analyse(text) == A.analyse(text) and A.query(text) == A.query(text)
