"""``shoal ingest`` and ``shoal search``: build a document index and query it as a given user."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from shoal.cli.common import catalog_from, settings_from

if TYPE_CHECKING:
    from shoal.rag.ingest import IngestSummary
    from shoal.rag.types import Hit

LABELS = ("public", "internal", "confidential", "restricted")


def _groups(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [g for g in (s.strip() for s in value.split(",")) if g]


def _print_summary(summary: IngestSummary) -> None:
    from rich.console import Console

    console = Console(stderr=False, highlight=False)
    console.print(
        f"[bold]collection {summary.collection}[/]: {summary.files} files · {summary.ingested} ingested · "
        f"{summary.unchanged} unchanged · {summary.chunks} chunks written · {len(summary.removed)} removed · "
        f"{len(summary.skipped)} skipped · {summary.seconds:.1f} s")
    if summary.roots:
        console.print(f"  rules matched relative to {', '.join(summary.roots)}", soft_wrap=True)
    for path, before, after in summary.relabelled:
        console.print(f"  [magenta]relabelled[/] {path}: {before} → {after}", soft_wrap=True)
    for path, reason in summary.skipped:
        console.print(f"  [yellow]skipped[/] {path}: {reason}", soft_wrap=True)
    for path in summary.removed:
        console.print(f"  [red]removed[/] {path}", soft_wrap=True)
    for warning in summary.warnings:
        console.print(f"  [yellow]warning[/] {warning}", soft_wrap=True)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--label", type=click.Choice(LABELS), help="Label for these files (rules in shoal.yaml win).")
@click.option("--groups", help="Comma-separated groups that may see these files (default: everyone, by label).")
@click.option("--collection", help="Collection name (default: rag.collection).")
@click.option("--prune", is_flag=True, help="Remove indexed documents whose files are gone from PATHS.")
@click.option("--follow-links", is_flag=True,
              help="Follow symbolic links whose target is inside the ingested folder (default: skip links).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], label: str | None, groups: str | None,
           collection: str | None, prune: bool, follow_links: bool, no_progress: bool) -> None:
    """Index PATHS (files or folders: md, txt, pdf, docx, html) for search and `shoal ask`.

    Label rules match paths relative to the collection's root: the folder of the first ingest
    (a file ingested first makes its folder the root). Re-ingesting a subfolder or one file keeps
    the labels of the full ingest; a label that changes is printed.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from shoal.rag.ingest import Ingestor
    from shoal.rag.stores import open_store

    settings = settings_from(ctx)
    catalog = catalog_from(ctx)
    store = open_store(settings.config.rag, settings.paths, collection, create=True)
    assert store is not None  # create=True always opens
    embedder = catalog.embedding_model(settings.config.rag.embedder)
    try:
        ingestor = Ingestor(settings.config.rag, settings.base_dir, store, embedder)
        if no_progress:
            summary = ingestor.run(paths, label=label, groups=_groups(groups), prune=prune,
                                   follow_links=follow_links)
        else:
            columns = (TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                       TextColumn("{task.description}", style="dim"))
            with Progress(*columns, transient=True) as bar:
                task = bar.add_task("", total=None)

                def on_progress(done: int, total: int, current: str) -> None:
                    bar.update(task, completed=done, total=total, description=current[-60:])

                summary = ingestor.run(paths, label=label, groups=_groups(groups), prune=prune,
                                       follow_links=follow_links, progress=on_progress)
    finally:
        store.close()
    _print_summary(summary)


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--as-user", "user", help="Search as this user.")
@click.option("--groups", help="Comma-separated groups of that user (documents restricted to groups).")
@click.option("--collection", help="Collection name (default: rag.collection).")
@click.option("-k", "k", type=click.IntRange(1, 100), default=None, help="Number of hits (default: rag.top_k).")
@click.option("--mode", type=click.Choice(["hybrid", "bm25", "dense"]), default="hybrid", show_default=True)
@click.option("--label", "labels", multiple=True, type=click.Choice(LABELS), help="Only these labels (repeatable).")
@click.option("--path", "path_prefix", help="Only documents under this folder (as shown in results).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@click.option("--no-daemon", is_flag=True,
              help="Search in this process; do not use or start the warm search daemon.")
@click.pass_context
def search(ctx: click.Context, query: tuple[str, ...], user: str | None, groups: str | None,
           collection: str | None, k: int | None, mode: str, labels: tuple[str, ...], path_prefix: str | None,
           as_json: bool, no_daemon: bool) -> None:
    """Hybrid search of the index, showing only what the given user may see.

    The first search of a project starts a small daemon that keeps the index and the query
    encoder loaded (unix socket, private to you, gone after 10 idle minutes); later searches ask
    it instead of loading everything again.
    """
    import json

    from rich.console import Console
    from rich.table import Table

    text = " ".join(query)
    hits = None
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    if not no_daemon and "settings" not in obj:
        from shoal.cli import search_daemon

        if search_daemon.enabled():
            got = search_daemon.ask(obj.get("config_path"), {
                "query": text, "user": user, "groups": groups, "collection": collection, "k": k, "mode": mode,
                "labels": list(labels), "path_prefix": path_prefix})
            if isinstance(got, str):
                raise click.ClickException(got)
            hits = got
    if hits is None:
        hits = _search_here(ctx, text, user, groups, collection, k, mode, labels, path_prefix)
    if as_json:
        for n, h in enumerate(hits, 1):
            c = h.chunk
            click.echo(json.dumps({"rank": n, "score": h.score, "bm25": h.bm25_score, "dense": h.dense_score,
                                   "path": c.path, "title": c.title, "section": c.section, "page": c.page,
                                   "label": c.label, "chunk_id": c.chunk_id, "text": c.text}))
        return
    console = Console(highlight=False)
    if not hits:
        console.print("no results")
        return
    table = Table(show_lines=True)
    for col in ("#", "score", "document", "section / page", "label", "text"):
        table.add_column(col, overflow="fold")
    for n, h in enumerate(hits, 1):
        c = h.chunk
        where = " / ".join(x for x in (c.section, f"p. {c.page}" if c.page is not None else "") if x)
        snippet = " ".join(c.text.split())
        table.add_row(str(n), f"{h.score:.4f}", f"{c.title}\n{c.path}", where, c.label,
                      snippet[:240] + ("…" if len(snippet) > 240 else ""))
    console.print(table)


def _search_here(ctx: click.Context, text: str, user: str | None, groups: str | None, collection: str | None,
                 k: int | None, mode: str, labels: tuple[str, ...], path_prefix: str | None) -> list[Hit]:
    from shoal.principal import Principal
    from shoal.rag.search import Searcher
    from shoal.rag.types import Filters

    settings = settings_from(ctx)
    searcher = Searcher(settings.config.rag, settings.paths, catalog_from(ctx))
    filters = None
    if labels or path_prefix:
        filters = Filters(labels=frozenset(labels) if labels else None, path_prefix=path_prefix)
    try:
        if searcher.store(collection) is None:
            raise click.ClickException("no index yet: run `shoal ingest PATH` first")
        return searcher.search(text, Principal.of(user, groups), collection=collection, k=k,
                               mode=mode, filters=filters)  # type: ignore[arg-type]
    finally:
        searcher.close()
