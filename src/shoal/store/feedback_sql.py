"""Feedback rows: ratings and corrections kept beside the original answer, with a review status."""

from __future__ import annotations

import secrets
import time
from typing import Any

from shoal.errors import NotFoundError, ShoalError
from shoal.store.backend import Backend
from shoal.store.records import FEEDBACK_STATUSES, Feedback

_COLUMNS = ("id, request_id, ts, rating, correction, comment, source, team, user_name, status, "
            "original_response, edited_correction, reviewer, reviewed_at")
MAX_TEXT = 100_000


def _from_row(r: Any) -> Feedback:
    return Feedback(id=r[0], request_id=r[1], ts=float(r[2]), rating=r[3], correction=r[4], comment=r[5],
                    source=r[6], team=r[7], user=r[8], status=r[9], original_response=r[10],
                    edited_correction=r[11], reviewer=r[12], reviewed_at=None if r[13] is None else float(r[13]))


def validate(rating: int | None, correction: str | None, comment: str | None) -> None:
    if rating is None and not correction and not comment:
        raise ShoalError("feedback needs a rating, a correction or a comment")
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not -1 <= rating <= 5):
        raise ShoalError(f"rating must be an integer from -1 to 5 (got {rating!r})",
                         hint="use 1 / -1 for thumbs up / down, or 1..5 stars")
    for label, text in (("correction", correction), ("comment", comment)):
        if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
            raise ShoalError(f"{label} must be a string of at most {MAX_TEXT} characters")


def add(backend: Backend, *, request_id: str, rating: int | None, correction: str | None, comment: str | None,
        source: str, team: str | None, user: str | None, original_response: str | None) -> str:
    feedback_id = "fb_" + secrets.token_hex(8)
    with backend.transaction() as cur:
        cur.execute(f"INSERT INTO feedback ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (feedback_id, request_id, time.time(), rating, correction, comment, source, team, user,
                     "pending", original_response, None, None, None))
    return feedback_id


def get(backend: Backend, feedback_id: str, team: str | None = None) -> Feedback:
    with backend.transaction() as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM feedback WHERE id = ?", (feedback_id,))
        row = cur.fetchone()
    if row is None or (team is not None and row[7] != team):
        raise NotFoundError(f"no feedback with id {feedback_id!r}")
    return _from_row(row)


def list_feedback(backend: Backend, *, status: str | None, team: str | None, request_id: str | None,
                  limit: int) -> list[Feedback]:
    clauses, params = [], []
    if status is not None:
        _check_status(status)
        clauses.append("status = ?")
        params.append(status)
    if team is not None:
        clauses.append("team = ?")
        params.append(team)
    if request_id is not None:
        clauses.append("request_id = ?")
        params.append(request_id)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    with backend.transaction() as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM feedback{where} ORDER BY ts DESC, id LIMIT ?", (*params, int(limit)))
        return [_from_row(r) for r in cur.fetchall()]


def _check_status(status: str) -> None:
    if status not in FEEDBACK_STATUSES:
        raise ShoalError(f"unknown feedback status {status!r}", hint=f"use one of: {', '.join(FEEDBACK_STATUSES)}")


def set_status(backend: Backend, feedback_id: str, status: str, *, edited_correction: str | None,
               reviewer: str | None) -> Feedback:
    _check_status(status)
    get(backend, feedback_id)
    with backend.transaction() as cur:
        if edited_correction is not None:
            cur.execute("UPDATE feedback SET status = ?, edited_correction = ?, reviewer = ?, reviewed_at = ? "
                        "WHERE id = ?", (status, edited_correction, reviewer, time.time(), feedback_id))
        else:
            cur.execute("UPDATE feedback SET status = ?, reviewer = ?, reviewed_at = ? WHERE id = ?",
                        (status, reviewer, time.time(), feedback_id))
    return get(backend, feedback_id)
