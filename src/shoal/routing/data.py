"""Per-item results: what each model scored on each prompt (the format shared with the evals).

CSV or JSONL with a ``prompt`` column and one column per model holding that model's score on
the item: ``True``/``False``, ``1``/``0``, or a number (e.g. a 1–10 judge score). Boolean
columns become 0/1; numeric columns are scaled to 0..1 over the range seen across the chosen
model columns (or a range the caller gives), so models are compared on one scale. A row with a
missing prompt or an unreadable score is skipped and reported; the rest of the file is used.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from shoal.errors import ShoalError

_TRUE = {"true", "yes", "y", "t"}
_FALSE = {"false", "no", "n", "f"}


class ItemDataError(ShoalError):
    """A per-item results file cannot be used (missing file, no prompt column, unknown model)."""


@dataclass(slots=True)
class ItemTable:
    """Prompts and a (items × models) score matrix in 0..1, models in the order asked for."""

    prompts: list[str]
    scores: npt.NDArray[np.float64]
    models: list[str]
    skipped: list[str] = field(default_factory=list)
    binary: bool = True

    def __len__(self) -> int:
        return len(self.prompts)

    def subset(self, idx: Sequence[int] | npt.NDArray[np.int64]) -> ItemTable:
        ids = [int(i) for i in idx]
        return ItemTable([self.prompts[i] for i in ids], self.scores[ids], list(self.models),
                         [], self.binary)

    def column(self, model: str) -> npt.NDArray[np.float64]:
        try:
            return self.scores[:, self.models.index(model)]
        except ValueError:
            raise ItemDataError(f"model {model!r} is not in this table",
                                hint=f"models: {', '.join(self.models)}") from None


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line-or-row number, row or None when unreadable, problem)."""
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield n, None, f"invalid JSON ({exc.msg})"
                    continue
                yield (n, obj, "") if isinstance(obj, dict) else (n, None, "not a JSON object")
        return
    csv.field_size_limit(sys.maxsize)  # prompts with long passages exceed the 128 KiB default
    with path.open(encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh), 2):
            yield n, dict(row), ""


def _header(path: Path) -> list[str]:
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        keys: dict[str, None] = {}
        for _, row, _ in _rows(path):
            if row is not None:
                keys.update(dict.fromkeys(row))
                break
        return list(keys)
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh), [])


def parse_score(value: Any) -> tuple[float, bool]:
    """(value, was_boolean). Raises ValueError for anything else."""
    if isinstance(value, bool):
        return float(value), True
    if isinstance(value, (int, float)):
        if np.isnan(value):
            raise ValueError("NaN")
        return float(value), False
    if isinstance(value, str):
        s = value.strip().lower()
        if s in _TRUE:
            return 1.0, True
        if s in _FALSE:
            return 0.0, True
        return float(s), False
    raise ValueError(f"unsupported value {value!r}")


def load_items(paths: Sequence[str | Path], models: Sequence[str], *,
               scale: tuple[float, float] | None = None) -> ItemTable:
    """Read one or more per-item files; ``models`` are column names (order kept)."""
    if not paths:
        raise ItemDataError("no per-item results file given", hint="pass --data FILE (CSV or JSONL)")
    prompts: list[str] = []
    raw: list[list[float]] = []
    skipped: list[str] = []
    all_bool = True
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise ItemDataError(f"per-item results file not found: {path}")
        header = _header(path)
        if "prompt" not in header:
            raise ItemDataError(f"{path}: no 'prompt' column",
                                hint=f"columns found: {', '.join(header) or 'none'}")
        missing = [m for m in models if m not in header]
        if missing:
            others = [h for h in header if h != "prompt"]
            raise ItemDataError(f"{path}: no column for model(s) {', '.join(missing)}",
                                hint=f"model columns found: {', '.join(others) or 'none'}")
        for n, row, problem in _rows(path):
            if row is None:
                skipped.append(f"{path}:{n}: {problem}")
                continue
            prompt = row.get("prompt")
            if not isinstance(prompt, str) or not prompt.strip():
                skipped.append(f"{path}:{n}: empty or missing prompt")
                continue
            values: list[float] = []
            try:
                for m in models:
                    v, was_bool = parse_score(row.get(m))
                    all_bool = all_bool and was_bool
                    values.append(v)
            except ValueError:
                skipped.append(f"{path}:{n}: unreadable score for {m!r}: {row.get(m)!r}")
                continue
            prompts.append(prompt)
            raw.append(values)
    if not prompts:
        raise ItemDataError("no usable rows in " + ", ".join(map(str, paths)),
                            hint="; ".join(skipped[:3]) or None)
    scores = np.asarray(raw, dtype=np.float64)
    # 0/1 numbers are as good as True/False; anything else is a graded score to scale.
    all_bool = all_bool or bool(np.isin(scores, (0.0, 1.0)).all())
    if scale is not None or not all_bool:
        lo, hi = scale if scale is not None else (float(scores.min()), float(scores.max()))
        if hi <= lo:
            raise ItemDataError(f"score range {lo:g}..{hi:g} is empty; every model scored the same",
                                hint="pass the scale explicitly, e.g. --scale 1,10")
        scores = np.clip((scores - lo) / (hi - lo), 0.0, 1.0)
    return ItemTable(prompts, scores, list(models), skipped, all_bool and scale is None)
