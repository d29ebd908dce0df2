"""Eval datasets: JSONL or CSV files of items (a prompt or a conversation, optional reference).

One item per JSONL line (or CSV row)::

    {"id": "pto-1", "input": "How many hours ...?", "reference": "240 hours",
     "segment": "leave", "tags": ["numbers"], "expected_docs": ["travel-and-leave/leave.md"],
     "expect": "comply", "sensitive": false}

``messages`` (a list of ``{"role", "content"}``) may replace ``input``. In CSV, list fields
(``tags``, ``expected_docs``) are separated by ``|`` or given as JSON lists. A row that cannot be
read is skipped and reported (file, line, reason); the rest of the dataset still runs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from shoal.errors import ConfigError
from shoal.models.types import ChatRequest, Message

Expect = Literal["refuse", "comply"]
_ROLES = {"system", "user", "assistant"}
_KNOWN = {"id", "input", "messages", "reference", "segment", "tags", "expected_docs", "expect",
          "sensitive", "schema", "metadata"}


@dataclass(frozen=True, slots=True)
class EvalItem:
    """One thing to ask every target. ``messages`` always holds at least one user message."""

    id: str
    messages: tuple[Message, ...]
    reference: str | None = None
    segment: str = "all"
    tags: tuple[str, ...] = ()
    expected_docs: tuple[str, ...] = ()
    expect: Expect | None = None  # safety: the prompt must be refused / must be answered
    sensitive: bool = False  # contains data that must stay on self-hosted models
    schema: dict[str, Any] | None = None  # per-item JSON schema for the json_schema metric
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """The last user message: what a router sees and what the per-item file lists."""
        users = [m.text for m in self.messages if m.role == "user"]
        return users[-1] if users else ""

    @property
    def input_text(self) -> str:
        return "\n".join(m.text for m in self.messages)

    def request(self, **kwargs: Any) -> ChatRequest:
        return ChatRequest(messages=self.messages, **kwargs)


@dataclass(frozen=True, slots=True)
class DatasetIssue:
    """A row that was skipped, and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Dataset:
    path: Path
    items: tuple[EvalItem, ...]
    issues: tuple[DatasetIssue, ...] = ()

    @property
    def digest(self) -> str:
        """Content hash of the items, so reports can tell two datasets apart."""
        h = hashlib.sha256()
        for it in self.items:
            h.update(json.dumps([it.id, [(m.role, m.text) for m in it.messages], it.reference],
                                ensure_ascii=False).encode())
        return h.hexdigest()[:16]


class _RowError(ValueError):
    pass


def _as_list(value: Any, key: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise _RowError(f"{key}: not a JSON list ({exc.msg})") from None
        else:
            return tuple(p.strip() for p in text.split("|") if p.strip())
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(str(v) for v in value)
    raise _RowError(f"{key}: expected a list of strings or a '|'-separated string")


def _as_bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or value == "":
        return False
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y"}:
        return True
    if text in {"0", "false", "no", "n"}:
        return False
    raise _RowError(f"{key}: expected true/false, got {value!r}")


def _messages(row: Mapping[str, Any]) -> tuple[Message, ...]:
    raw = row.get("messages")
    if isinstance(raw, str) and raw.strip():
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _RowError(f"messages: not valid JSON ({exc.msg})") from None
    if raw:
        if not isinstance(raw, list):
            raise _RowError("messages: expected a list of {role, content} objects")
        out: list[Message] = []
        for i, m in enumerate(raw):
            if not isinstance(m, dict) or m.get("role") not in _ROLES or not isinstance(m.get("content"), str):
                raise _RowError(f"messages[{i}]: needs role (system/user/assistant) and string content")
            out.append(Message(m["role"], m["content"]))
        if not any(m.role == "user" for m in out):
            raise _RowError("messages: no user message")
        return tuple(out)
    text = row.get("input")
    if not isinstance(text, str) or not text.strip():
        raise _RowError("no input: give a non-empty 'input' string or a 'messages' list")
    return (Message.user(text),)


def parse_item(row: Mapping[str, Any], index: int) -> EvalItem:
    """Build an item from a decoded row; raises ``ValueError`` with the reason."""
    unknown = sorted(set(row) - _KNOWN)
    if unknown:
        raise _RowError(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_KNOWN))}")
    messages = _messages(row)
    reference = row.get("reference")
    if reference is not None and not isinstance(reference, str):
        reference = json.dumps(reference) if isinstance(reference, (dict, list)) else str(reference)
    expect = row.get("expect") or None
    if expect is not None and expect not in ("refuse", "comply"):
        raise _RowError(f"expect: must be 'refuse' or 'comply', got {expect!r}")
    schema = row.get("schema")
    if isinstance(schema, str) and schema.strip():
        try:
            schema = json.loads(schema)
        except json.JSONDecodeError as exc:
            raise _RowError(f"schema: not valid JSON ({exc.msg})") from None
    if schema is not None and schema != "" and not isinstance(schema, dict):
        raise _RowError("schema: expected a JSON object (a JSON schema)")
    meta = row.get("metadata") or {}
    if not isinstance(meta, dict):
        raise _RowError("metadata: expected an object")
    item_id = str(row.get("id") or "").strip() or f"item-{index + 1}"
    return EvalItem(
        id=item_id, messages=messages, reference=reference if reference not in ("",) else None,
        segment=str(row.get("segment") or "all"), tags=_as_list(row.get("tags"), "tags"),
        expected_docs=_as_list(row.get("expected_docs"), "expected_docs"), expect=expect,
        sensitive=_as_bool(row.get("sensitive"), "sensitive"),
        schema=schema if isinstance(schema, dict) else None, metadata=dict(meta))


def _jsonl_rows(text: str) -> Iterable[tuple[int, Any | _RowError]]:
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield lineno, _RowError(f"invalid JSON ({exc.msg} at column {exc.colno})")
            continue
        yield lineno, obj if isinstance(obj, dict) else _RowError("a line must be a JSON object")


def _csv_rows(text: str) -> Iterable[tuple[int, Any | _RowError]]:
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        if None in row:  # more cells than header columns
            yield reader.line_num, _RowError("more cells than header columns")
            continue
        yield reader.line_num, {k: v for k, v in row.items() if k is not None and v not in (None, "")}


def load_dataset(path: str | Path) -> Dataset:
    """Read a ``.jsonl`` / ``.json`` (JSON lines) or ``.csv`` dataset; bad rows become issues."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"dataset not found: {p}", key="dataset",
                          hint="the path is relative to the spec file; check the spelling")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read dataset {p}: {exc}", key="dataset") from None
    suffix = p.suffix.lower()
    if suffix in {".jsonl", ".json", ".ndjson"}:
        rows = _jsonl_rows(text)
    elif suffix == ".csv":
        rows = _csv_rows(text)
    else:
        raise ConfigError(f"unsupported dataset format {suffix!r}: {p}", key="dataset",
                          hint="use .jsonl (one JSON object per line) or .csv with a header row")
    items: list[EvalItem] = []
    issues: list[DatasetIssue] = []
    seen: set[str] = set()
    for lineno, row in rows:
        try:
            if isinstance(row, _RowError):
                raise row
            item = parse_item(row, len(items))
            if item.id in seen:
                raise _RowError(f"duplicate id {item.id!r}")
        except _RowError as exc:
            issues.append(DatasetIssue(str(p), lineno, str(exc)))
            continue
        seen.add(item.id)
        items.append(item)
    if not items:
        detail = f"; first problem: {issues[0]}" if issues else ""
        raise ConfigError(f"dataset {p} has no usable items{detail}", key="dataset",
                          hint="each line needs at least an 'input' (or 'messages')")
    return Dataset(path=p, items=tuple(items), issues=tuple(issues))
