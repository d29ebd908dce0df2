"""Distillation: a teacher model answers prompts, the answers are curated, a student is LoRA-tuned.

Privacy first: a prompt goes to an *external* teacher (``spec.locality == "external"``) only when
the privacy scanner finds nothing sensitive in it. Under the ``scrub`` policy personal data is
first replaced by placeholders and the scrubbed prompt is scanned again (a confidential topic stays
confidential without names); under ``drop`` / ``allow_self_hosted`` a sensitive prompt is skipped.
A self-hosted teacher sees prompts as they are — the data never leaves — and the dataset's own
scrub policy applies when the answers become a dataset version.

Curating: empty answers, answers cut off by the length limit and failed calls are left out and
counted; duplicates are removed when the dataset version is built.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shoal.errors import NotFoundError, ProviderError
from shoal.feedback.examples import Example, ExampleError, Issue, Turn, parse_turns
from shoal.models.base import ChatModel
from shoal.models.types import ChatRequest, Message
from shoal.privacy.types import Sensitivity
from shoal.tuning.scrub import pseudonymize_texts


class PromptScanner(Protocol):
    """What distillation needs from the privacy scanner (``PrivacyScanner`` fits)."""

    def scan(self, text: str) -> Sensitivity: ...

    def detect_pii(self, text: str) -> list[Any]: ...


def read_prompts(path: Path) -> tuple[list[tuple[Turn, ...]], list[Issue]]:
    """Prompts from JSONL (``messages`` / ``prompt`` / ``input`` [+ ``system``]) or a text file (one per line)."""
    if not path.is_file():
        raise NotFoundError(f"prompts file not found: {path}")
    prompts: list[tuple[Turn, ...]] = []
    issues: list[Issue] = []
    jsonl = path.suffix in {".jsonl", ".json"}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.strip()
            if not text:
                continue
            if not jsonl:
                prompts.append((("user", text),))
                continue
            try:
                row = json.loads(text)
                if not isinstance(row, dict):
                    raise ExampleError("each line must be a JSON object")
                if "messages" in row:
                    turns = parse_turns(row["messages"])
                    if turns[-1][0] == "assistant":
                        turns = turns[:-1]
                else:
                    prompt = row.get("prompt", row.get("input"))
                    if not isinstance(prompt, str) or not prompt.strip():
                        raise ExampleError("needs messages, prompt or input")
                    system = row.get("system")
                    turns = ((("system", system),) if isinstance(system, str) and system else ()) + (("user", prompt),)
                if not turns or turns[-1][0] != "user":
                    raise ExampleError("the prompt must end with a user message")
                prompts.append(turns)
            except json.JSONDecodeError as exc:
                issues.append(Issue(f"{path}:{lineno}", f"invalid JSON ({exc.msg})"))
            except ExampleError as exc:
                issues.append(Issue(f"{path}:{lineno}", str(exc)))
    return prompts, issues


@dataclass
class DistillReport:
    prompts: int = 0
    sent: int = 0
    scrubbed: int = 0
    skipped_sensitive: int = 0
    failed: int = 0
    truncated: int = 0
    empty: int = 0
    issues: list[Issue] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.prompts} prompts: {self.sent} sent to the teacher ({self.scrubbed} scrubbed first), "
                f"{self.skipped_sensitive} withheld as sensitive, {self.failed} failed, "
                f"{self.truncated} cut off, {self.empty} empty")


def guard_prompt(turns: tuple[Turn, ...], external: bool, policy: str, scanner: PromptScanner,
                 placeholder: str = "[{type}_{n}]") -> tuple[tuple[Turn, ...] | None, str]:
    """The prompt as it may be sent (None: withhold it) and a note on what was done."""
    if not external:
        return turns, "self-hosted teacher"
    text = "\n".join(c for _, c in turns)
    sensitivity = scanner.scan(text)
    if not sensitivity.is_sensitive:
        return turns, "not sensitive"
    if policy != "scrub":
        return None, f"sensitive ({', '.join(sensitivity.reasons)})"
    clean, _ = pseudonymize_texts([c for _, c in turns], scanner, placeholder)
    scrubbed = tuple((role, clean[i]) for i, (role, _) in enumerate(turns))
    again = scanner.scan("\n".join(clean))
    if again.is_sensitive:
        return None, f"still sensitive after scrubbing ({', '.join(again.reasons)})"
    return scrubbed, "scrubbed"


async def collect_answers(teacher: ChatModel, prompts: Sequence[tuple[Turn, ...]], scanner: PromptScanner, *,
                          policy: str, max_tokens: int = 256, concurrency: int = 2,
                          placeholder: str = "[{type}_{n}]") -> tuple[list[Example], DistillReport]:
    """Ask the teacher every prompt it may see; returns curated examples and the report."""
    report = DistillReport(prompts=len(prompts))
    external = teacher.locality == "external"
    slots = asyncio.Semaphore(max(1, concurrency))
    results: list[Example | None] = [None] * len(prompts)

    async def one(i: int, turns: tuple[Turn, ...]) -> None:
        safe, note = guard_prompt(turns, external, policy, scanner, placeholder)
        if safe is None:
            report.skipped_sensitive += 1
            report.issues.append(Issue(f"prompt {i + 1}", f"withheld from external teacher: {note}"))
            return
        if note == "scrubbed":
            report.scrubbed += 1
        request = ChatRequest(messages=tuple(Message(role, content) for role, content in safe),  # type: ignore[arg-type]
                              max_tokens=max_tokens, temperature=0.0)
        async with slots:
            report.sent += 1
            try:
                completion = await teacher.complete(request)
            except ProviderError as exc:
                report.failed += 1
                report.issues.append(Issue(f"prompt {i + 1}", f"teacher failed: {exc}"))
                return
        answer = completion.text.strip()
        if not answer:
            report.empty += 1
            return
        if completion.finish_reason == "length":
            report.truncated += 1
            return
        results[i] = Example(messages=safe, completion=answer, source=f"distill:{teacher.name}",
                             meta={"teacher": teacher.name, "teacher_model": completion.model, "guard": note})

    await asyncio.gather(*(one(i, p) for i, p in enumerate(prompts)))
    return [r for r in results if r is not None], report
