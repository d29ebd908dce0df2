"""Where runs live and what each run directory holds.

``<runs_dir>/<run id>/``: ``spec.yaml`` (the spec as written), ``results.jsonl`` (one line per
sample), ``per_item.csv`` (the learned router's training format), ``summary.json`` and
``report.html``. ``runs_dir`` defaults to ``<data_dir>/evals/runs``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from shoal.errors import NotFoundError
from shoal.evals.aggregate import RunSummary, item_scores
from shoal.evals.dataset import EvalItem, parse_item
from shoal.evals.records import SampleRecord

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
PER_ITEM = "per_item.csv"
REPORT = "report.html"
SPEC = "spec.yaml"
ITEMS = "items.jsonl"


def new_run_dir(root: Path, spec_name: str, run_id: str | None = None) -> Path:
    """A fresh directory under ``root`` (the runs folder); ids are ``YYYYmmdd-HHMMSS-<spec name>``
    with a suffix if taken."""
    root.mkdir(parents=True, exist_ok=True)
    if run_id is not None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,100}", run_id):
            raise NotFoundError(f"invalid run id {run_id!r}", hint="use letters, digits, '.', '_' and '-'")
        path = root / run_id
        path.mkdir(exist_ok=True)
        return path
    base = f"{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{spec_name}"
    for n in range(1000):
        path = root / (base if n == 0 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a run directory under {root}")  # pragma: no cover


def list_runs(root: Path) -> list[Path]:
    """The complete runs under ``root`` (the runs folder), oldest id first."""
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if (p / SUMMARY).is_file()), key=lambda p: p.name)


def resolve_run(root: Path, run: str) -> Path:
    """A run id (under ``root``, the runs folder), ``latest``, or a path to a run directory → the directory."""
    direct = Path(run).expanduser()
    if (direct / SUMMARY).is_file() or (direct / RESULTS).is_file():
        return direct
    if run == "latest":
        runs = list_runs(root)
        if runs:
            return max(runs, key=lambda p: (p / SUMMARY).stat().st_mtime)
    candidate = root / run
    if (candidate / SUMMARY).is_file() or (candidate / RESULTS).is_file():
        return candidate
    known = [p.name for p in list_runs(root)][-5:]
    hint = f"recent runs: {', '.join(known)}" if known else "run `shoal eval run SPEC` first"
    raise NotFoundError(f"no eval run {run!r} (looked in {root})", hint=hint)


def per_item_file(root: Path, run: str) -> Path:
    """The per-item results CSV of a run (run id, ``latest`` or path) — what the router trains on."""
    path = resolve_run(root, run) / PER_ITEM
    if not path.is_file():
        raise NotFoundError(f"run {run!r} has no {PER_ITEM}", hint="the run was interrupted; run the spec again")
    return path


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; runs are shared team artefacts
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_results(run_dir: Path, records: Iterable[SampleRecord]) -> None:
    _atomic_write(run_dir / RESULTS, "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records))


def read_results(run_dir: Path) -> list[SampleRecord]:
    out: list[SampleRecord] = []
    path = run_dir / RESULTS
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                out.append(SampleRecord.from_json(json.loads(line)))
            except (ValueError, TypeError):
                continue  # a torn last line of an interrupted run
    return out


def write_summary(run_dir: Path, summary: RunSummary) -> None:
    _atomic_write(run_dir / SUMMARY, json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n")


def read_summary(run_dir: Path) -> RunSummary:
    path = run_dir / SUMMARY
    try:
        return RunSummary.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise NotFoundError(f"{path} does not exist", hint="the run did not finish; run the spec again") from None
    except (ValueError, TypeError) as exc:
        raise NotFoundError(f"{path} is damaged: {exc}", hint="run the spec again (cached answers cost nothing)") from None


def write_per_item(run_dir: Path, items: Sequence[EvalItem], records: Sequence[SampleRecord],
                   targets: Sequence[str], quality_keys: Sequence[str]) -> Path:
    """CSV: ``prompt`` then one column per target with its quality score on the item (0..1).

    This is the router's per-item format. A target with no score for an item (budget skip,
    undetermined judge) leaves the cell empty rather than inventing a number.
    """
    scores = item_scores(records, quality_keys)
    path = run_dir / PER_ITEM
    fd, tmp = tempfile.mkstemp(dir=run_dir, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["prompt", *targets])
            for item in items:
                row: list[str] = [item.prompt]
                for t in targets:
                    v = scores.get((item.id, t))
                    row.append("" if v is None else f"{v:.6g}")
                writer.writerow(row)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; runs are shared team artefacts
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_items(run_dir: Path, items: Sequence[EvalItem]) -> None:
    """The items as run, so reports and comparisons do not depend on the dataset file staying put."""
    lines = []
    for it in items:
        row = {"id": it.id, "messages": [{"role": m.role, "content": m.text} for m in it.messages],
               "reference": it.reference, "segment": it.segment, "tags": list(it.tags),
               "expected_docs": list(it.expected_docs), "expect": it.expect, "sensitive": it.sensitive,
               "schema": it.schema, "metadata": it.metadata}
        lines.append(json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False) + "\n")
    _atomic_write(run_dir / ITEMS, "".join(lines))


def read_items(run_dir: Path) -> list[EvalItem]:
    path = run_dir / ITEMS
    if not path.is_file():
        return []
    out: list[EvalItem] = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            try:
                out.append(parse_item(json.loads(line), i))
            except ValueError:
                continue
    return out
