"""`hotline kb`: import articles from JSON lines, search (one query or a batch), re-index."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hotline.core.clock import SystemClock
from hotline.core.config import Settings
from hotline.core.db import make_engine, make_sessionmaker, transaction
from hotline.core.errors import HotlineError, InvalidInput
from hotline.core.i18n import cli_text as _
from hotline.knowledge import service
from hotline.knowledge.ranking import Context
from hotline.knowledge.schemas import ArticleIn, parse_article

BATCH = 500
err = Console(stderr=True)


def _sessions():  # type: ignore[no-untyped-def]
    from hotline.core import migrate

    settings = Settings()
    if settings.is_sqlite:
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    if migrate.current(engine) != migrate.heads():
        migrate.upgrade(engine)
    return make_sessionmaker(engine)


AsJson = Annotated[bool, typer.Option("--json", help=_("Print JSON."))]


def _import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=_("JSON-lines file, one article per line."))],
    org_path: Annotated[str, typer.Option("--org-path", help=_("Owning unit path for new articles."))] = "/",
    as_json: AsJson = False,
) -> None:
    """Import or update articles (one JSON object per line); bad lines are reported and skipped."""
    factory = _sessions()
    clock = SystemClock()
    lines = file.read_text(encoding="utf-8").splitlines()
    errors: list[dict[str, object]] = []
    records: list[tuple[int, ArticleIn]] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = parse_article(json.loads(line))
            if not rec.id:
                raise InvalidInput("id", "required")
        except json.JSONDecodeError as exc:
            errors.append({"line": n, "error": f"invalid JSON: {exc.msg}"})
            continue
        except HotlineError as exc:
            field = exc.details.get("field")
            errors.append({"line": n, "error": f"{field}: {exc.msg}" if field else exc.msg})
            continue
        if rec.id in seen:  # the last line for an id wins
            records[seen[rec.id]] = (n, rec)
        else:
            seen[rec.id] = len(records)
            records.append((n, rec))
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=not err.is_terminal) as progress:
        task = progress.add_task(_("Importing"), total=len(records))
        for i in range(0, len(records), BATCH):
            part = records[i:i + BATCH]
            try:
                with transaction(factory) as session:
                    res = service.import_articles(session, records=[r for _n, r in part], at=clock.now(),
                                                  org_path=org_path)
                for k in totals:
                    totals[k] += getattr(res, k)
            except HotlineError:  # a batch that fails as a whole is retried line by line
                for n, rec in part:
                    try:
                        with transaction(factory) as session:
                            res = service.import_articles(session, records=[rec], at=clock.now(), org_path=org_path)
                        for k in totals:
                            totals[k] += getattr(res, k)
                    except HotlineError as exc:
                        errors.append({"line": n, "error": exc.msg})
            progress.advance(task, len(part))
    errors.sort(key=lambda e: e["line"])  # type: ignore[arg-type,return-value]
    for e in errors:
        err.print(f"{file}:{e['line']}: {e['error']}", markup=False, highlight=False)
    summary = {**totals, "errors": errors}
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(_("created {created}, updated {updated}, unchanged {unchanged}, bad lines {bad}").format(
            bad=len(errors), **totals))
    if errors:
        raise typer.Exit(1)


def _search(
    query: Annotated[str, typer.Argument(help=_("The query, e.g. 查话费."))] = "",
    queries: Annotated[Path | None, typer.Option(
        "--queries", exists=True, dir_okay=False,
        help=_('JSON-lines file of {"qid", "query"} for batch evaluation.'))] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help=_("Number of results."))] = 10,
    as_json: AsJson = False,
    business_type: Annotated[str, typer.Option("--business-type", help=_("Context: the contact's business type."))] = "",
    category: Annotated[str, typer.Option("--category", help=_("Context: a category path like 'a/b/c'."))] = "",
) -> None:
    """Search published articles, best first (the same ranking as the API and the UI)."""
    if bool(query) == (queries is not None):
        raise typer.BadParameter(_("give a query or --queries FILE, not both"))
    factory = _sessions()
    clock = SystemClock()
    ctx = Context(business_type=business_type or None, category=tuple(category.split("/")) if category else ())
    with transaction(factory) as session:
        if queries is None:
            hits = service.search(session, query=query, at=clock.now(), limit=limit, context=ctx,
                                  snippets=not as_json)
            if as_json:
                print(json.dumps([{"id": h.id, "title": h.title, "score": h.score} for h in hits], ensure_ascii=False))
            else:
                for i, h in enumerate(hits, 1):
                    print(f"{i:>2}. {h.score:.4f}  {h.id}  {h.title}")
            return
        for n, line in enumerate(queries.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                qid, text = item["qid"], str(item["query"])
            except (json.JSONDecodeError, KeyError, TypeError):
                err.print(f"{queries}:{n}: expected {{\"qid\": ..., \"query\": ...}}", markup=False)
                continue
            hits = service.search(session, query=text, at=clock.now(), limit=limit, context=ctx)
            if as_json:
                print(json.dumps({"qid": qid, "results": [h.id for h in hits]}, ensure_ascii=False))
            else:
                print(f"{qid}\t" + " ".join(h.id for h in hits))
            sys.stdout.flush()


def _reindex(as_json: AsJson = False) -> None:
    """Rebuild the search index (after synonym changes)."""
    factory = _sessions()
    with transaction(factory) as session:
        n = service.reindex(session)
    print(json.dumps({"indexed": n}) if as_json else _("indexed {n} articles").format(n=n))


def register(app: typer.Typer) -> None:
    """Add the `kb` sub-app."""
    kb = typer.Typer(help=_("Knowledge base: import, search, re-index."), no_args_is_help=True,
                     rich_markup_mode=None)
    kb.command("import", help=_("Import or update articles from a JSON-lines file."))(_import)
    kb.command("search", help=_("Search published articles, best first."))(_search)
    kb.command("reindex", help=_("Rebuild the search index."))(_reindex)
    app.add_typer(kb, name="kb")
