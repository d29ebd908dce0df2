"""Capture and review feedback on logged requests (the Python API behind `shoal feedback`).

Feedback lives in the store (``shoal.store``), next to the request it is about; the store copies the
original answer beside a correction. Every new item is ``pending``: only a reviewer's ``accept``
(optionally with an edited correction) makes it eligible for training — unreviewed corrections never
train a model by default.

Ratings are integers, as the store keeps them: ``1`` / ``-1`` for thumbs up / down, or 1..5 stars.
``rating_value`` turns the CLI's words into those numbers; ``polarity`` reads them back as
good / bad / neutral (1, 4 and 5 are good; -1, 0 and 2 are bad; 3 is neutral — 1 is read as a
thumbs up, the store's convention).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shoal.errors import NotFoundError, ShoalError

if TYPE_CHECKING:
    from shoal.store import Feedback, Store

RATING_WORDS: dict[str, int] = {"up": 1, "good": 1, "+1": 1, "1": 1, "down": -1, "bad": -1, "-1": -1}


def rating_value(raw: str | int | None) -> int | None:
    """``up``/``down``/an integer 1..5 → the stored integer rating."""
    if raw is None or isinstance(raw, int):
        return raw
    text = raw.strip().lower()
    if text in RATING_WORDS:
        return RATING_WORDS[text]
    if text.isdigit() and 1 <= int(text) <= 5:
        return int(text)
    raise ShoalError(f"unknown rating {raw!r}", hint="use up, down, or a number of stars from 1 to 5")


def polarity(rating: int | None) -> bool | None:
    """True for a good rating, False for a bad one, None for neutral or no rating."""
    if rating is None or rating == 3:
        return None
    return rating in (1, 4, 5)


def add_feedback(store: Store, request_id: str, *, rating: str | int | None = None, correction: str | None = None,
                 comment: str | None = None, source: str = "cli", user: str | None = None) -> str:
    """Record feedback on a logged request; returns the feedback id (status ``pending``)."""
    if correction is not None and not correction.strip():
        raise ShoalError("the correction is empty", hint="give the answer the model should have given")
    return store.add_feedback(request_id, rating_value(rating), correction, comment, source, None, user)


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: list[str]
    skipped: list[str]  # "file:line: reason"


def import_feedback(store: Store, path: Path, *, source: str = "import") -> ImportResult:
    """Add feedback from a JSONL file of ``{"request_id", "rating", "correction", "comment"}``.

    A bad line (unknown request, invalid rating, not JSON) is skipped and reported; the rest is added.
    """
    if not path.is_file():
        raise NotFoundError(f"feedback file not found: {path}")
    added: list[str] = []
    skipped: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(line)
                if not isinstance(row, dict) or not isinstance(row.get("request_id"), str):
                    raise ShoalError("needs a request_id string")
                added.append(add_feedback(store, row["request_id"], rating=row.get("rating"),
                                          correction=row.get("correction"), comment=row.get("comment"),
                                          source=source, user=row.get("user")))
            except json.JSONDecodeError as exc:
                skipped.append(f"{where}: invalid JSON ({exc.msg})")
            except ShoalError as exc:
                skipped.append(f"{where}: {exc}")
    return ImportResult(added, skipped)


# --- review ----------------------------------------------------------------------------------------


def pending(store: Store, *, limit: int = 1000, team: str | None = None) -> list[Feedback]:
    """The review queue, oldest first."""
    items = store.list_feedback("pending", team, limit=limit)
    return sorted(items, key=lambda f: (f.ts, f.id))


def accept(store: Store, feedback_id: str, *, reviewer: str | None = None,
           edited_correction: str | None = None) -> Feedback:
    """Accept feedback for training, optionally replacing its correction with the reviewer's edit."""
    if edited_correction is not None and not edited_correction.strip():
        raise ShoalError("the edited correction is empty")
    return store.set_feedback_status(feedback_id, "accepted", edited_correction, reviewer)


def reject(store: Store, feedback_id: str, *, reviewer: str | None = None) -> Feedback:
    """Keep the feedback on record but never train on it."""
    return store.set_feedback_status(feedback_id, "rejected", None, reviewer)


def accept_many(store: Store, feedback_ids: Iterable[str], *, reviewer: str | None = None) -> list[Feedback]:
    return [accept(store, fid, reviewer=reviewer) for fid in feedback_ids]
