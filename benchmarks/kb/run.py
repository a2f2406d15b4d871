"""Knowledge-base search quality and speed, ours beside FTS5 out of the box, in one run.

Corpus: the 102 hand-written articles in src/hotline/knowledge/data/articles.jsonl (also the demo knowledge base) plus generated distractors (distractors.py) up
to --articles (default 50,000). Queries: queries.jsonl (evaluation set, never tuned on) or, with
--set dev, dev_queries.jsonl (the only set the analyzer and ranking were tuned on).

Systems, all over the same corpus in the same SQLite file:
  ours         hotline.knowledge.service.search (analyzer + FTS5 candidates + shared ranking)
  fts5         FTS5 out of the box: unicode61 tokenizer over the raw text, query as one phrase, bm25
  fts5-trigram FTS5's built-in trigram tokenizer over the raw text, same query (a stronger anchor)

Metrics: nDCG@5 (gain 2^grade - 1), MRR@10 and hit@3 (grade >= 1 counts as relevant), per query tag,
and p50 / p99 latency per query (each query run --repeat times, warm).

    .venv/bin/python benchmarks/kb/run.py                 # 50,000 articles (built once, then cached)
    .venv/bin/python benchmarks/kb/run.py --articles 10000 --set dev --show-misses
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from distractors import generate
from sqlalchemy import text

from hotline.core import migrate
from hotline.core.db import make_engine, make_sessionmaker, transaction
from hotline.knowledge import index, service
from hotline.knowledge.schemas import parse_article

AT = datetime(2026, 3, 1, tzinfo=UTC)
SRC = HERE.parents[1] / "src" / "hotline" / "knowledge"
RAW_TABLES = {"fts5": "unicode61", "fts5-trigram": "trigram"}


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus_key(n: int, seed: int) -> str:
    h = hashlib.sha256(f"{n}:{seed}".encode())
    from hotline.knowledge import index

    h.update(repr((index._FTS_DDL, index.document_tokens.__code__.co_code)).encode())
    indexing = [SRC / f for f in ("analysis.py", "models.py", "schemas.py")]
    for p in [SRC / "data" / "articles.jsonl", HERE / "distractors.py", *indexing, *sorted((SRC / "data").glob("*"))]:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def build(path: Path, n: int, seed: int) -> float:
    """Create the benchmark database; returns seconds spent indexing our pipeline."""
    real = load_jsonl(SRC / "data" / "articles.jsonl")
    records = [*real, *generate(max(n - len(real), 0), seed=seed)]
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    t0 = time.perf_counter()
    for i in range(0, len(records), 1000):
        with transaction(factory) as s:
            service.import_articles(s, records=[parse_article(r) for r in records[i:i + 1000]], at=AT)
        print(f"\r  indexed {min(i + 1000, len(records))}/{len(records)}", end="", file=sys.stderr, flush=True)
    took = time.perf_counter() - t0
    print(file=sys.stderr)
    with engine.begin() as conn:
        for name, tok in RAW_TABLES.items():
            table = name.replace("-", "_")
            conn.exec_driver_sql(f"CREATE VIRTUAL TABLE {table} USING fts5(ref UNINDEXED, title, question, keywords, body, "
                                 f"tokenize='{tok}')")
            conn.execute(text(f"INSERT INTO {table}(ref, title, question, keywords, body) VALUES (:r, :t, :q, :k, :b)"),
                         [{"r": r["id"], "t": r["title"], "q": r.get("question", ""), "k": " ".join(r.get("keywords", [])),
                           "b": r.get("body", "") + "\n" + r.get("answer_plain", "")} for r in records])
    engine.dispose()
    return took


def ndcg(ranked: list[str], rel: dict[str, int], k: int = 5) -> float:
    dcg = sum((2 ** rel.get(r, 0) - 1) / math.log2(i + 2) for i, r in enumerate(ranked[:k]))
    ideal = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(sorted(rel.values(), reverse=True)[:k]))
    return dcg / ideal if ideal else 0.0


def mrr(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    return next((1.0 / (i + 1) for i, r in enumerate(ranked[:k]) if rel.get(r, 0) > 0), 0.0)


def hit(ranked: list[str], rel: dict[str, int], k: int = 3) -> float:
    return float(any(rel.get(r, 0) > 0 for r in ranked[:k]))


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=50_000, help="corpus size (real + distractors)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--set", choices=("eval", "dev"), default="eval")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per query")
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/hotline-kb-bench"))
    ap.add_argument("--show-misses", action="store_true", help="print queries whose top 3 miss (dev set only)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--no-answer-prior", action="store_true",
                    help="ablation: no candidate slots and no boost for answer kinds (all distractors are notices)")
    args = ap.parse_args()
    if args.no_answer_prior:
        import dataclasses

        from hotline.knowledge import ranking

        index.ANSWER_KINDS = frozenset({"nokind"})
        ranking.DEFAULT_WEIGHTS = dataclasses.replace(ranking.DEFAULT_WEIGHTS, answer_boost=0.0)
        ranking.rank.__kwdefaults__["weights"] = ranking.DEFAULT_WEIGHTS
    if args.show_misses and args.set != "dev":
        ap.error("--show-misses is for the dev set; the evaluation set is not for tuning")

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    db = args.cache_dir / f"kb-{args.articles}-{corpus_key(args.articles, args.seed)}.sqlite3"
    if db.exists():
        print(f"corpus: {args.articles} articles (cached {db.name})", file=sys.stderr)
        build_s = None
    else:
        print(f"corpus: building {args.articles} articles …", file=sys.stderr)
        build_s = build(db, args.articles, args.seed)
    queries = load_jsonl(HERE / ("queries.jsonl" if args.set == "eval" else "dev_queries.jsonl"))

    engine = make_engine(f"sqlite:///{db}")
    factory = make_sessionmaker(engine)
    results: dict[str, dict[str, list[str]]] = defaultdict(dict)
    latency: dict[str, list[float]] = defaultdict(list)
    at = AT + timedelta(days=1)
    with factory() as session:
        service.search(session, query="预热", at=at)  # load jieba and the pinyin tables
        index._top_cache.clear()
        for q in queries:  # cold: empty token-list cache, every query once
            t0 = time.perf_counter()
            service.search(session, query=q["query"], at=at, limit=10)
            latency["ours-cold"].append((time.perf_counter() - t0) * 1000)
        index._top_cache.clear()
        t0 = time.perf_counter()
        warmed = index.warm(session)  # what a server does at start-up
        warm_s = time.perf_counter() - t0
        for q in queries:
            runs = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                hits = service.search(session, query=q["query"], at=at, limit=10)
                runs.append((time.perf_counter() - t0) * 1000)
            latency["ours"] += runs
            latency["ours-median"].append(statistics.median(runs))
            results["ours"][q["qid"]] = [h.id for h in hits]
        conn = session.connection()
        for name in RAW_TABLES:
            table = name.replace("-", "_")
            for q in queries:
                phrase = '"' + q["query"].replace('"', '""') + '"'
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    rows = conn.execute(text(f"SELECT ref FROM {table} WHERE {table} MATCH :q ORDER BY rank LIMIT 10"),
                                        {"q": phrase}).all()
                    latency[name].append((time.perf_counter() - t0) * 1000)
                results[name][q["qid"]] = [r[0] for r in rows]
    engine.dispose()

    systems = ["ours", *RAW_TABLES]
    tags = ["all", *sorted({t for q in queries for t in q["tags"]})]
    table: dict[str, dict[str, dict[str, float]]] = {}
    for tag in tags:
        qs = [q for q in queries if tag == "all" or tag in q["tags"]]
        table[tag] = {"n": len(qs)}  # type: ignore[dict-item]
        for s in systems:
            table[tag][s] = {
                "ndcg@5": statistics.fmean(ndcg(results[s][q["qid"]], q["relevance"]) for q in qs),
                "mrr@10": statistics.fmean(mrr(results[s][q["qid"]], q["relevance"]) for q in qs),
                "hit@3": statistics.fmean(hit(results[s][q["qid"]], q["relevance"]) for q in qs),
            }
    lat = {s: {"p50_ms": statistics.median(latency[s]), "p99_ms": pct(latency[s], 99)}
           for s in [*systems, "ours-cold", "ours-median"]}
    load = os.getloadavg()[0]

    if args.json:
        print(json.dumps({"articles": args.articles, "set": args.set, "queries": len(queries), "quality": table,
                          "latency": lat, "load_average": load, "build_seconds": build_s, "warm": {"lists": warmed, "seconds": warm_s}}, ensure_ascii=False, indent=1))
    else:
        print(f"\nKnowledge search — {args.set} set, {len(queries)} queries, {args.articles:,} articles (SQLite)")
        head = f"{'tag':<12}{'n':>4}  " + "  ".join(f"{s:^26}" for s in systems)
        print(head)
        print(f"{'':<18}" + "  ".join(f"{'nDCG@5':>8}{'MRR@10':>9}{'hit@3':>7}  " for _ in systems))
        for tag in tags:
            row = table[tag]
            print(f"{tag:<12}{row['n']:>4}  " + "  ".join(
                f"{row[s]['ndcg@5']:>8.3f}{row[s]['mrr@10']:>9.3f}{row[s]['hit@3']:>7.3f}  " for s in systems))
        print("\nlatency per query (ms)   " + "   ".join(f"{s}: p50 {lat[s]['p50_ms']:.2f}  p99 {lat[s]['p99_ms']:.2f}"
                                                        for s in systems))
        print(f"  ours after start-up warm ({warmed} common-token lists in {warm_s:.1f} s); ours with every cache "
              f"cold (first query after start or after an index change): p50 {lat['ours-cold']['p50_ms']:.2f}"
              f"  p99 {lat['ours-cold']['p99_ms']:.2f}")
        print(f"  ours, p99 over each query's median of {args.repeat} runs: {lat['ours-median']['p99_ms']:.2f} ms; "
              f"machine load average {load:.1f} on {os.cpu_count()} cores (timings are only comparable at low load)")
        ours, anchor = table["all"]["ours"]["ndcg@5"], table["all"]["fts5"]["ndcg@5"]
        print(f"nDCG@5 ours {ours:.3f} vs FTS5 out of the box {anchor:.3f} (goal ≥ 0.82); "
              f"p99 ours {lat['ours']['p99_ms']:.2f} ms (goal ≤ 20 ms) vs FTS5 {lat['fts5']['p99_ms']:.2f} ms")
        if build_s is not None:
            print(f"indexing (our pipeline): {build_s:.1f} s for {args.articles:,} articles")
    if args.show_misses:
        for q in queries:
            got = results["ours"][q["qid"]]
            if not hit(got, q["relevance"]):
                print(f"MISS {q['qid']} {q['query']!r} want {q['relevance']} got {got[:3]}")


if __name__ == "__main__":
    main()
