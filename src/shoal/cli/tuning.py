"""``shoal feedback``, ``shoal dataset``, ``shoal tune``, ``shoal distill``, ``shoal registry``.

The feedback loop from the command line: capture and review feedback, snapshot datasets, train
LoRA adapters, distil, and promote / roll back registry versions behind the eval gate.
Heavy libraries (torch, transformers, llama.cpp) load only inside the commands that need them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from shoal.cli.common import settings_from

if TYPE_CHECKING:
    from shoal.store import Feedback, Store
    from shoal.tuning.datasets import DatasetStore


@contextmanager
def _store(ctx: click.Context) -> Iterator[Store]:
    from shoal.wiring import open_store

    store = open_store(settings_from(ctx))
    try:
        yield store
    finally:
        store.close()


def _short(text: str | None, width: int = 70) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


# --- feedback --------------------------------------------------------------------------------------


@click.group()
def feedback() -> None:
    """Capture feedback on logged requests and review it before it can train anything."""


@feedback.command("add")
@click.argument("request_id")
@click.option("--rating", help="up, down, or 1-5 stars.")
@click.option("--correction", help="The answer the model should have given (kept beside the original).")
@click.option("--comment")
@click.pass_context
def feedback_add(ctx: click.Context, request_id: str, rating: str | None, correction: str | None,
                 comment: str | None) -> None:
    """Add feedback on REQUEST_ID (the x-shoal-request-id of an answer); it starts as pending."""
    from shoal.feedback.capture import add_feedback

    with _store(ctx) as store:
        fid = add_feedback(store, request_id, rating=rating, correction=correction, comment=comment)
    click.echo(f"{fid} (pending review: `shoal feedback review`)")


@feedback.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def feedback_import(ctx: click.Context, path: Path) -> None:
    """Add feedback from a JSONL file of {request_id, rating, correction, comment}; bad lines are reported."""
    from shoal.feedback.capture import import_feedback

    with _store(ctx) as store:
        result = import_feedback(store, path)
    for line in result.skipped[:20]:
        click.echo(f"skipped {line}", err=True)
    click.echo(f"added {len(result.added)} feedback item(s), skipped {len(result.skipped)}")


def _print_items(items: list[Feedback]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for col in ("id", "status", "rating", "original answer", "correction", "comment"):
        table.add_column(col)
    for f in items:
        table.add_row(f.id, f.status, "" if f.rating is None else str(f.rating), _short(f.original_response, 40),
                      _short(f.final_correction, 40), _short(f.comment, 30))
    Console().print(table)


@feedback.command("list")
@click.option("--status", type=click.Choice(["pending", "accepted", "rejected"]))
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def feedback_list(ctx: click.Context, status: str | None, limit: int, as_json: bool) -> None:
    """List feedback (newest first)."""
    import dataclasses

    with _store(ctx) as store:
        items = store.list_feedback(status, limit=limit)
    if as_json:
        for f in items:
            click.echo(json.dumps(dataclasses.asdict(f), ensure_ascii=False))
    else:
        _print_items(items)


@feedback.group("review", invoke_without_command=True)
@click.pass_context
def review(ctx: click.Context) -> None:
    """The review queue: list, accept, edit, reject (without a subcommand: list pending items)."""
    if ctx.invoked_subcommand is None:
        from shoal.feedback.capture import pending

        with _store(ctx) as store:
            items = pending(store)
            _print_items(items)
        click.echo(f"{len(items)} pending; `shoal feedback review accept|edit|reject ID` or "
                   "`shoal feedback review interactive`", err=True)


def _ids(store: Store, ids: tuple[str, ...], all_pending: bool) -> list[str]:
    from shoal.feedback.capture import pending

    if all_pending:
        return [f.id for f in pending(store, limit=1_000_000)]
    if not ids:
        raise click.UsageError("give feedback ids or --all")
    return list(ids)


@review.command("accept")
@click.argument("ids", nargs=-1)
@click.option("--all", "all_pending", is_flag=True, help="Accept every pending item.")
@click.option("--reviewer")
@click.pass_context
def review_accept(ctx: click.Context, ids: tuple[str, ...], all_pending: bool, reviewer: str | None) -> None:
    """Accept feedback items for training."""
    from shoal.feedback.capture import accept

    with _store(ctx) as store:
        chosen = _ids(store, ids, all_pending)
        for fid in chosen:
            accept(store, fid, reviewer=reviewer)
    click.echo(f"accepted {len(chosen)}")


@review.command("reject")
@click.argument("ids", nargs=-1)
@click.option("--all", "all_pending", is_flag=True, help="Reject every pending item.")
@click.option("--reviewer")
@click.pass_context
def review_reject(ctx: click.Context, ids: tuple[str, ...], all_pending: bool, reviewer: str | None) -> None:
    """Reject feedback items (kept on record, never trained on)."""
    from shoal.feedback.capture import reject

    with _store(ctx) as store:
        chosen = _ids(store, ids, all_pending)
        for fid in chosen:
            reject(store, fid, reviewer=reviewer)
    click.echo(f"rejected {len(chosen)}")


@review.command("edit")
@click.argument("feedback_id")
@click.option("--correction", required=True, help="The reviewer's corrected answer.")
@click.option("--reviewer")
@click.pass_context
def review_edit(ctx: click.Context, feedback_id: str, correction: str, reviewer: str | None) -> None:
    """Accept FEEDBACK_ID with an edited correction (the user's text is kept too)."""
    from shoal.feedback.capture import accept

    with _store(ctx) as store:
        accept(store, feedback_id, reviewer=reviewer, edited_correction=correction)
    click.echo(f"accepted {feedback_id} with the edited correction")


@review.command("interactive")
@click.option("--reviewer")
@click.pass_context
def review_interactive(ctx: click.Context, reviewer: str | None) -> None:
    """Walk the queue: [a]ccept, [e]dit, [r]eject, [s]kip, [q]uit."""
    from shoal.errors import NotFoundError
    from shoal.feedback.capture import accept, pending, reject

    with _store(ctx) as store:
        for f in pending(store):
            try:
                prompt = (store.get_request(f.request_id).request_messages or [{}])[-1].get("content", "")
            except NotFoundError:
                prompt = "(request no longer logged)"
            click.echo(f"\n{f.id}  rating={f.rating}\n  prompt:     {_short(str(prompt), 200)}\n"
                       f"  answer:     {_short(f.original_response, 200)}\n  correction: {_short(f.correction, 200)}"
                       + (f"\n  comment:    {_short(f.comment, 200)}" if f.comment else ""))
            choice = click.prompt("[a]ccept [e]dit [r]eject [s]kip [q]uit", type=click.Choice(list("aersq")),
                                  show_choices=False)
            if choice == "q":
                break
            if choice == "a":
                accept(store, f.id, reviewer=reviewer)
            elif choice == "e":
                accept(store, f.id, reviewer=reviewer, edited_correction=click.prompt("corrected answer"))
            elif choice == "r":
                reject(store, f.id, reviewer=reviewer)


# --- datasets --------------------------------------------------------------------------------------


@click.group()
def dataset() -> None:
    """Immutable, versioned training datasets (NAME@vN) built from feedback and files."""


@dataset.command("create")
@click.argument("name")
@click.option("--feedback/--no-feedback", "from_feedback", default=True, show_default=True,
              help="Include accepted feedback from the request log.")
@click.option("--file", "files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL examples (chat, prompt/completion or eval items); repeatable.")
@click.option("--include-pending", is_flag=True, help="Also use unreviewed feedback (not recommended).")
@click.option("--policy", type=click.Choice(["scrub", "drop", "allow_self_hosted"]),
              help="PII policy (default: tuning.scrub_policy).")
@click.option("--holdout", type=float, help="Held-out fraction (default: tuning.holdout_fraction).")
@click.option("--seed", type=int, help="Split seed (default: tuning.split_seed).")
@click.pass_context
def dataset_create(ctx: click.Context, name: str, from_feedback: bool, files: tuple[Path, ...],
                   include_pending: bool, policy: str | None, holdout: float | None, seed: int | None) -> None:
    """Snapshot curated examples as the next version of NAME (deduped, PII-scrubbed, split)."""
    from shoal.tuning.jobs import build_dataset
    from shoal.wiring import open_store

    settings = settings_from(ctx)
    store = open_store(settings) if from_feedback else None
    try:
        built = build_dataset(settings.config.tuning, settings.config.privacy, settings.paths, name,
                              from_feedback=from_feedback, files=files, include_pending=include_pending,
                              policy=policy, holdout=holdout, seed=seed, store=store)
    finally:
        if store is not None:
            store.close()
    for issue in built.issues[:10]:
        click.echo(f"skipped {issue}", err=True)
    if len(built.issues) > 10:
        click.echo(f"... and {len(built.issues) - 10} more skipped", err=True)
    m = built.version.manifest
    state = "created" if built.created else "unchanged (same content as an existing version)"
    click.echo(f"{built.version.ref} {state}: {m['examples']} examples (train {m['splits']['train']}, "
               f"held-out {m['splits']['heldout']}; sft {m['sft']}, preference {m['preference']}, kto {m['kto']}); "
               f"{built.duplicates} duplicates dropped; sha256 {built.version.content_hash[:12]}")
    click.echo(built.scrub.summary())


@dataset.command("list")
@click.argument("name", required=False)
@click.pass_context
def dataset_list(ctx: click.Context, name: str | None) -> None:
    """List dataset versions."""
    for m in _datasets(ctx).list(name):
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(m["created_at"]))
        pii = " self-hosted-only" if m.get("scrub", {}).get("self_hosted_only") else ""
        click.echo(f"{m['name']}@v{m['version']}  {when}  {m['examples']} examples  train {m['splits']['train']}"
                   f"  held-out {m['splits']['heldout']}  sha256 {m['sha256'][:12]}{pii}")


@dataset.command("show")
@click.argument("ref")
@click.option("-n", "count", default=3, show_default=True, help="Examples to print.")
@click.pass_context
def dataset_show(ctx: click.Context, ref: str, count: int) -> None:
    """Print a version's manifest and a few examples."""
    version = _datasets(ctx).get(ref)
    click.echo(json.dumps(version.manifest, indent=2, sort_keys=True))
    for ex in version.examples[:count]:
        click.echo(json.dumps(ex.to_json(), ensure_ascii=False))


@dataset.command("export")
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["sft", "preference", "kto", "eval"]), default="sft",
              show_default=True)
@click.option("--split", type=click.Choice(["train", "heldout", "all"]), default="train", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--allow-pii", is_flag=True, help="Export a self-hosted-only dataset (it contains PII).")
@click.pass_context
def dataset_export(ctx: click.Context, ref: str, fmt: str, split: str, output: Path, allow_pii: bool) -> None:
    """Write a split as SFT chat JSONL, preference pairs, KTO rows or an eval dataset."""
    from shoal.tuning.export import export

    version = _datasets(ctx).get(ref)
    if version.self_hosted_only and not allow_pii:
        raise click.ClickException(f"{version.ref} contains PII (policy allow_self_hosted); pass --allow-pii "
                                   "only if the file stays on self-hosted infrastructure")
    n = export(version.split(split), fmt, output)
    click.echo(f"wrote {n} {fmt} rows from {version.ref} ({split}) to {output}")


def _datasets(ctx: click.Context) -> DatasetStore:
    from shoal.tuning.datasets import dataset_store

    settings = settings_from(ctx)
    return dataset_store(settings.config.tuning, settings.paths)
