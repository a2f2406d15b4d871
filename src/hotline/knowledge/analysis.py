"""Chinese text analysis shared by indexing and querying (pure: no database, no clock, no network).

Pipeline: NFKC (full-width → half-width) + case folding → traditional → simplified (+ variant folding)
→ jieba segmentation (fixed bundled dictionary plus the lexicon's terms, HMM off so it is deterministic)
→ stop-word removal → words, character bigrams over the remaining CJK runs, synonym canonicals
→ pinyin tokens (toneless syllable bigrams and word initials) in a separate "alt" stream.

Homophone typos: a window of characters whose toneless pinyin equals the pinyin of a lexicon term
emits that term's canonical form (彩玲 → 彩铃), and every CJK bigram also yields its pinyin bigram in the
alt stream, so 流亮 still meets 流量 there. Latin input that parses as pinyin (chahuafei, xhzw) is mapped
the same way. Every token is made of word characters only, so engines never split it again.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
SYNONYMS_FILE = DATA_DIR / "synonyms.txt"

# Words that carry no search meaning in agent queries; removed at the word level after segmentation.
STOPWORDS = frozenset(
    ["的", "了", "吗", "呢", "吧", "啊", "呀", "哦", "嗯", "呃", "啦", "嘛", "么", "我", "你", "您", "他", "她", "它", "我们", "你们", "他们", "咱", "咱们", "自己", "怎么", "怎样", "怎么样", "如何", "什么", "啥", "为什么", "为啥", "咋", "咋办", "怎么办", "怎么回事", "一下", "请问", "想", "想要", "要", "能", "能不能", "可以", "可不可以", "是", "是不是", "有", "有没有", "在", "和", "与", "及", "或", "或者", "也", "都", "就", "还", "又", "把", "被", "给", "让", "这", "那", "这个", "那个", "这样", "那样", "哪", "哪里", "哪个", "哪儿", "多少", "几", "个", "些", "一个", "帮", "帮忙", "帮我", "麻烦", "好", "不", "没", "没有", "了解", "知道", "问", "问问", "客户", "用户", "说", "需要", "应该", "得", "地", "着", "过", "会", "很", "太", "吗", "一", "下", "现在", "之前", "以后", "为", "对", "从", "到", "上", "中", "里", "后", "时", "时候", "所以", "但是", "因为", "如果", "然后", "可能", "多久", "多长时间", "什么时候", "啥时候", "几天", "怎么弄", "咋弄", "咋整", "怎么搞", "行不行", "行吗", "可以吗", "对吗", "一张", "一条", "一份", "一次", "一点", "一点儿", "一直", "一般", "还是", "总是", "老是", "突然", "已经", "比较", "特别", "非常", "很多", "好多", "一些", "这么", "那么", "the", "a", "an", "of", "to", "is"]
)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"[a-z]+")
_PIECE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9a-z]+")
# Variants that simplification leaves apart although agents use them interchangeably.
VARIANTS = str.maketrans({"帐": "账", "著": "着", "裏": "里", "綫": "线", "钜": "巨"})

_log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _opencc():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), case folding, traditional → simplified, variant folding."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if any(ord(c) > 0x2E7F for c in text):
        text = _opencc().convert(text).translate(VARIANTS)
    return text


@lru_cache(maxsize=65536)
def char_pinyin(ch: str) -> str:
    """Toneless pinyin of one character (its most common reading); the character itself if none."""
    from pypinyin import Style, lazy_pinyin

    if not _CJK.match(ch):
        return ch
    return lazy_pinyin(ch, style=Style.NORMAL, v_to_u=False, errors=lambda c: c)[0]


def pinyin_of(text: str) -> list[str]:
    """Toneless pinyin syllables, one per character."""
    return [char_pinyin(c) for c in text]


@lru_cache(maxsize=1)
def syllables() -> frozenset[str]:
    return frozenset((DATA_DIR / "pinyin_syllables.txt").read_text(encoding="utf-8").split())


@lru_cache(maxsize=4096)
def split_pinyin(word: str) -> tuple[str, ...] | None:
    """Split latin letters into pinyin syllables (fewest syllables wins); None if it is not pinyin."""
    sy = syllables()
    n = len(word)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(min(n, i + 6), i, -1):
            piece = word[i:j]
            if piece in sy:
                cand = best[i] + (piece,)  # type: ignore[operator]
                if best[j] is None or len(cand) < len(best[j]):  # type: ignore[arg-type]
                    best[j] = cand
    return best[n]


@dataclass(frozen=True)
class Lexicon:
    """Synonym groups: every term maps to its group's canonical term; plus pinyin keys of the terms."""

    canonical: dict[str, str]
    by_pinyin: dict[str, frozenset[str]] = field(default_factory=dict)
    by_initials: dict[str, frozenset[str]] = field(default_factory=dict)
    max_len: int = 1

    @classmethod
    def from_groups(cls, groups: Iterable[Iterable[str]]) -> Lexicon:
        canonical: dict[str, str] = {}
        for group in groups:
            terms = [t for t in (_squash(normalise(x)) for x in group) if t]
            if not terms:
                continue
            head = canonical.get(terms[0], terms[0])
            for t in terms:
                canonical.setdefault(t, head)
        by_py: dict[str, set[str]] = {}
        by_ini: dict[str, set[str]] = {}
        for term, head in canonical.items():
            if not _CJK.match(term[0]) or len(term) < 2 or not all(_CJK.match(c) for c in term):
                continue
            py = pinyin_of(term)
            by_py.setdefault("".join(py), set()).add(head)
            by_ini.setdefault("".join(p[0] for p in py), set()).add(head)
        return cls(
            canonical=canonical,
            by_pinyin={k: frozenset(v) for k, v in by_py.items()},
            by_initials={k: frozenset(v) for k, v in by_ini.items() if len(k) >= 2},
            max_len=max((len(t) for t in canonical), default=1),
        )

    def merged(self, groups: Iterable[Iterable[str]]) -> Lexicon:
        """This lexicon plus extra groups (editor-maintained ones from the database)."""
        base = {}
        for term, head in self.canonical.items():
            base.setdefault(head, [head]).append(term)
        return Lexicon.from_groups([*base.values(), *groups])


def _squash(term: str) -> str:
    """A dictionary term as one token: word characters only (wi-fi → wifi)."""
    return "".join(_WORD.findall(term))


def parse_groups(text: str) -> list[list[str]]:
    """Groups from the dictionary text format: one group per line, terms separated by spaces."""
    return [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@lru_cache(maxsize=1)
def seed_lexicon() -> Lexicon:
    """The telecom dictionary shipped with the package."""
    return Lexicon.from_groups(parse_groups(SYNONYMS_FILE.read_text(encoding="utf-8")))


class _Segmenter:
    """jieba with the bundled dictionary, loaded once, quietly, plus the lexicon's words."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tk = None
        self._added: set[str] = set()

    def _tokenizer(self):  # type: ignore[no-untyped-def]
        if self._tk is None:
            with self._lock:
                if self._tk is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tk = jieba.Tokenizer(jieba.DEFAULT_DICT)
                    tk.initialize()
                    self._tk = tk
        return self._tk

    def add_words(self, words: Iterable[str]) -> None:
        tk = self._tokenizer()
        for w in words:
            if w not in self._added and len(w) > 1 and _CJK.match(w[0]):
                tk.add_word(w, freq=max(tk.suggest_freq(w), 1000))
                self._added.add(w)

    def cut(self, text: str) -> list[str]:
        return self._tokenizer().lcut(text, HMM=False)


SEGMENTER = _Segmenter()


@dataclass(frozen=True)
class Analysis:
    """Tokens of one text: `terms` for the lexical fields, `alt` for the pinyin field."""

    terms: tuple[str, ...]
    alt: tuple[str, ...]


class Analyzer:
    """The analyzer: one instance per lexicon, used for documents and queries alike."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or seed_lexicon()
        SEGMENTER.add_words(self.lexicon.canonical)

    # -- building blocks -------------------------------------------------------------------------
    def chunks(self, text: str) -> Iterator[tuple[str, list[str]]]:
        """Yield (kind, words): "cjk" runs of Chinese words (stop words left out), or one "latin" word."""
        run: list[str] = []
        for seg in SEGMENTER.cut(normalise(text)):
            pieces = _PIECE.findall(seg)
            if not pieces and run:
                yield "cjk", run
                run = []
            for piece in pieces:
                if piece in STOPWORDS:
                    continue  # skipped, not a boundary: 补一张卡 still yields the bigram 补卡
                if not _CJK.match(piece):
                    if run:
                        yield "cjk", run
                        run = []
                    yield "latin", [piece]
                else:
                    run.append(piece)
        if run:
            yield "cjk", run

    def _sound_alikes(self, chars: str, py: list[str]) -> set[str]:
        """Canonical lexicon terms whose pinyin equals some window of these characters."""
        out: set[str] = set()
        lex = self.lexicon
        for i in range(len(chars)):
            acc = ""
            for j in range(i, min(len(chars), i + lex.max_len)):
                acc += py[j]
                if j > i:
                    out |= lex.by_pinyin.get(acc, frozenset())
        return out

    def analyse(self, text: str, *, unigrams: bool = False, alt: bool = True, query: bool = False) -> Analysis:
        """Tokens of a text. Documents: unigrams/alt per field. Queries: `query=True`."""
        lex = self.lexicon
        terms: dict[str, None] = {}
        alts: dict[str, None] = {}
        for kind, words in self.chunks(text):
            if kind == "latin":
                w = words[0]
                terms[w] = None
                if w in lex.canonical:
                    terms[lex.canonical[w]] = None
                if query and _LATIN.fullmatch(w):
                    alts[w] = None  # initials typed as letters (xhzw)
                    for head in lex.by_initials.get(w, ()):
                        terms[head] = None
                    sy = split_pinyin(w) if len(w) > 2 else None
                    if sy:
                        for a, b in itertools.pairwise(sy):
                            alts[a + b] = None
                        for head in lex.by_pinyin.get("".join(sy), ()):
                            terms[head] = None
                        for head in self._pinyin_windows(sy):
                            terms[head] = None
                continue
            chars = "".join(words)
            for w in words:
                if len(w) > 1:
                    terms[w] = None
                if w in lex.canonical:
                    terms[lex.canonical[w]] = None
            for a, b in itertools.pairwise(chars):
                terms[a + b] = None
            if len(chars) == 1 or unigrams:
                for c in chars:
                    terms[c] = None
            py = pinyin_of(chars)
            for head in self._sound_alikes(chars, py):
                terms[head] = None
            if alt or query:
                for a, b in itertools.pairwise(py):
                    alts[a + b] = None
                if not query:
                    for w in words:
                        if len(w) > 1:
                            alts["".join(p[0] for p in pinyin_of(w))] = None
        return Analysis(tuple(terms), tuple(alts))

    def _pinyin_windows(self, sy: tuple[str, ...]) -> set[str]:
        out: set[str] = set()
        for i in range(len(sy)):
            acc = ""
            for j in range(i, min(len(sy), i + self.lexicon.max_len)):
                acc += sy[j]
                if j > i:
                    out |= self.lexicon.by_pinyin.get(acc, frozenset())
        return out

    def query(self, text: str) -> Analysis:
        """Tokens of a search query."""
        return self.analyse(text, query=True)

    def highlight_terms(self, text: str) -> list[str]:
        """Normalised surface strings of a query worth marking in a snippet (longest first)."""
        out: set[str] = set()
        for kind, words in self.chunks(text):
            chars = "".join(words)
            if kind == "latin" or len(chars) == 1:
                out.add(chars)
            out.update(w for w in words if len(w) > 1)
            out.update(a + b for a, b in itertools.pairwise(chars))
            for head in self._sound_alikes(chars, pinyin_of(chars)) if kind == "cjk" else ():
                out.add(head)
        for term in list(out):
            head = self.lexicon.canonical.get(term)
            if head:
                out.update(t for t, h in self.lexicon.canonical.items() if h == head and len(t) > 1)
        return sorted(out, key=lambda s: (-len(s), s))


@lru_cache(maxsize=1)
def default_analyzer() -> Analyzer:
    """The analyzer over the seed dictionary."""
    return Analyzer()
