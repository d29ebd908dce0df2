"""Training examples: the unit every dataset, export and training job works on.

An ``Example`` is a prompt conversation plus what we learned about the answer to it:

- ``completion`` — the answer to train on (a reviewed correction, or an answer rated good);
- ``rejected`` — the answer a correction replaced (kept for preference pairs);
- ``label`` — a thumbs rating of ``completion`` (True good / False bad), for KTO.

Examples are read from JSONL files in three shapes (a bad line is skipped and reported):

- chat: ``{"messages": [..., {"role": "assistant", "content": "answer"}]}``
- prompt/completion: ``{"prompt": "...", "completion": "...", "system": "..."}``
- eval items: ``{"input": "...", "reference": "..."}`` (the evals dataset format)

with optional ``rejected`` and ``label`` keys in every shape.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from shoal.errors import NotFoundError

ROLES = frozenset({"system", "user", "assistant"})
Turn = tuple[str, str]  # (role, content)


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Example:
    """One curated example. Its ``id`` is a hash of its content, so equal examples dedupe."""

    messages: tuple[Turn, ...]
    completion: str | None = None
    rejected: str | None = None
    label: bool | None = None
    source: str = ""
    split: str = "train"
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def prompt_key(self) -> str:
        """Hash of the prompt alone: the held-out split is decided per prompt, never per answer."""
        return _digest([list(t) for t in self.messages])[:16]

    @property
    def id(self) -> str:
        return _digest([[list(t) for t in self.messages], self.completion, self.rejected, self.label])[:16]

    @property
    def is_sft(self) -> bool:
        """Usable for supervised fine-tuning: has an answer that was not rated bad."""
        return bool(self.completion) and self.label is not False

    @property
    def is_preference(self) -> bool:
        return bool(self.completion) and bool(self.rejected) and self.completion != self.rejected

    @property
    def prompt_text(self) -> str:
        return "\n".join(content for _, content in self.messages)

    def texts(self) -> list[str]:
        """Every piece of text in the example (what the PII scrubber looks at)."""
        out = [content for _, content in self.messages]
        out += [t for t in (self.completion, self.rejected) if t]
        return out

    def chat(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.messages]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "split": self.split, "messages": self.chat(), "completion": self.completion,
                "rejected": self.rejected, "label": self.label, "source": self.source, "meta": dict(self.meta)}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Example:
        return Example(messages=parse_turns(data["messages"]), completion=data.get("completion"),
                       rejected=data.get("rejected"), label=data.get("label"), source=str(data.get("source", "")),
                       split=str(data.get("split", "train")), meta=dict(data.get("meta") or {}))

    def with_split(self, split: str) -> Example:
        return replace(self, split=split)


class ExampleError(ValueError):
    """A line that cannot become an example (the reason is the message)."""


def parse_turns(raw: Any) -> tuple[Turn, ...]:
    if not isinstance(raw, list) or not raw:
        raise ExampleError("messages must be a non-empty list of {role, content}")
    turns: list[Turn] = []
    for i, m in enumerate(raw):
        if not isinstance(m, Mapping) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise ExampleError(f"messages[{i}] must be {{role: system|user|assistant, content: text}}")
        turns.append((str(m["role"]), str(m["content"])))
    return tuple(turns)


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ExampleError(f"{key} must be a string")
    return value


def example_from_record(data: Any, source: str) -> Example:
    """Build an example from one decoded JSONL record in any of the supported shapes."""
    if not isinstance(data, Mapping):
        raise ExampleError("each line must be a JSON object")
    completion = _optional_text(data, "completion")
    if "messages" in data:
        turns = parse_turns(data["messages"])
        if turns[-1][0] == "assistant" and completion is None:
            completion, turns = turns[-1][1], turns[:-1]
    else:
        prompt = data.get("prompt", data.get("input"))
        if not isinstance(prompt, str) or not prompt.strip():
            raise ExampleError("needs messages, prompt or input")
        system = _optional_text(data, "system")
        turns = ((("system", system),) if system else ()) + (("user", prompt),)
        if completion is None:
            completion = _optional_text(data, "reference")
    if not turns or turns[-1][0] != "user":
        raise ExampleError("the prompt must end with a user message")
    label = data.get("label")
    if label is not None and not isinstance(label, bool):
        raise ExampleError("label must be true or false")
    if completion is None and label is None:
        raise ExampleError("needs an answer (completion / reference / final assistant message) or a label")
    return Example(messages=turns, completion=completion, rejected=_optional_text(data, "rejected"),
                   label=label, source=source)


@dataclass(frozen=True, slots=True)
class Issue:
    """Something skipped while reading or curating, and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def read_examples(path: Path) -> tuple[list[Example], list[Issue]]:
    """Read a JSONL file of examples; a bad line is skipped and reported, the rest is kept."""
    if not path.is_file():
        raise NotFoundError(f"examples file not found: {path}", hint="give a JSONL file, one example per line")
    examples: list[Example] = []
    issues: list[Issue] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                examples.append(example_from_record(json.loads(line), f"file:{path.name}:{lineno}"))
            except json.JSONDecodeError as exc:
                issues.append(Issue(where, f"invalid JSON ({exc.msg})"))
            except (ExampleError, KeyError) as exc:
                issues.append(Issue(where, str(exc)))
    return examples, issues


def dedupe(examples: Iterable[Example]) -> tuple[list[Example], int]:
    """Drop exact duplicates (same content id), keeping the first; returns (kept, dropped count)."""
    seen: set[str] = set()
    kept: list[Example] = []
    dropped = 0
    for ex in examples:
        if ex.id in seen:
            dropped += 1
            continue
        seen.add(ex.id)
        kept.append(ex)
    return kept, dropped


def iter_jsonl(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n"
