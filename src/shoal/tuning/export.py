"""Export a dataset split in the formats training libraries take (TRL's conversational shapes).

- ``sft`` — ``{"messages": [...prompt, {"role": "assistant", "content": answer}]}`` for every
  example with a good answer (a correction, or an answer rated up);
- ``preference`` — ``{"prompt": [...], "chosen": [{assistant: correction}], "rejected": [{assistant:
  original}]}`` for every correction that replaced an original answer (DPO / ORPO);
- ``kto`` — ``{"prompt": [...], "completion": [{assistant: answer}], "label": true|false}``: binary
  thumbs feedback (an uncorrected thumbs-down is a negative example; a correction contributes its
  corrected answer as a positive and the original as a negative);
- ``eval`` — ``{"id", "messages", "reference"}``: the evals dataset format, so a held-out split can be
  scored with ``shoal eval run``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from shoal.errors import ShoalError
from shoal.feedback.examples import Example

Row = dict[str, Any]


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def sft_rows(examples: Iterable[Example]) -> Iterator[Row]:
    for ex in examples:
        if ex.is_sft:
            assert ex.completion is not None
            yield {"messages": ex.chat() + _assistant(ex.completion)}


def preference_rows(examples: Iterable[Example]) -> Iterator[Row]:
    for ex in examples:
        if ex.is_preference:
            assert ex.completion is not None and ex.rejected is not None
            yield {"prompt": ex.chat(), "chosen": _assistant(ex.completion), "rejected": _assistant(ex.rejected)}


def kto_rows(examples: Iterable[Example]) -> Iterator[Row]:
    for ex in examples:
        if ex.completion:
            if ex.label is not None:
                yield {"prompt": ex.chat(), "completion": _assistant(ex.completion), "label": ex.label}
            elif ex.rejected:  # a correction: the fix is desirable, what it replaced is not
                yield {"prompt": ex.chat(), "completion": _assistant(ex.completion), "label": True}
        if ex.rejected and ex.rejected != ex.completion:
            yield {"prompt": ex.chat(), "completion": _assistant(ex.rejected), "label": False}


def eval_rows(examples: Iterable[Example]) -> Iterator[Row]:
    for ex in examples:
        if ex.is_sft:
            yield {"id": ex.id, "messages": ex.chat(), "reference": ex.completion}


FORMATS: dict[str, Callable[[Iterable[Example]], Iterator[Row]]] = {
    "sft": sft_rows, "preference": preference_rows, "kto": kto_rows, "eval": eval_rows,
}


def export(examples: Iterable[Example], fmt: str, out: Path) -> int:
    """Write ``examples`` as ``fmt`` JSONL to ``out``; returns the number of rows written."""
    producer = FORMATS.get(fmt)
    if producer is None:
        raise ShoalError(f"unknown export format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for row in producer(examples):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
