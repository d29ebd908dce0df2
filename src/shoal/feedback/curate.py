"""Turn reviewed feedback into training examples.

Each feedback item is joined with its logged request (the prompt messages) and becomes one
``Example``:

- a correction → ``completion`` = the correction (the reviewer's edit when there is one),
  ``rejected`` = the original answer: SFT data and a preference pair;
- a good rating without correction → ``completion`` = the original answer, ``label`` = True;
- a bad rating without correction → ``completion`` = the original answer, ``label`` = False:
  not SFT data, but a KTO negative.

Only ``accepted`` feedback is used unless the caller asks otherwise. Items whose request was not
logged with its content (``gateway.log_content: false``), or whose request is gone, are skipped and
reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from shoal.errors import NotFoundError
from shoal.feedback.capture import polarity
from shoal.feedback.examples import ROLES, Example, Issue, Turn

if TYPE_CHECKING:
    from shoal.store import Feedback, RequestRecord, Store


def _turns(request: RequestRecord) -> tuple[Turn, ...] | None:
    raw = request.request_messages
    if not raw:
        return None
    turns: list[Turn] = []
    for m in raw:
        role, content = m.get("role"), m.get("content")
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if role == "tool":
            role = "user"
        if role not in ROLES or not isinstance(content, str):
            return None
        turns.append((str(role), content))
    if not turns or turns[-1][0] != "user":
        return None
    return tuple(turns)


def example_from_feedback(fb: Feedback, request: RequestRecord) -> Example | str:
    """The example for one feedback item, or the reason it cannot be one."""
    turns = _turns(request)
    if turns is None:
        return "the request's messages were not logged (gateway.log_content is off?) or end without a user turn"
    original = fb.original_response if fb.original_response is not None else request.response_text
    correction = fb.final_correction
    meta = {"feedback_id": fb.id, "request_id": fb.request_id, "rating": fb.rating}
    source = f"feedback:{fb.id}"
    if correction and correction.strip():
        return Example(messages=turns, completion=correction.strip(),
                       rejected=original if original and original.strip() != correction.strip() else None,
                       source=source, meta=meta)
    good = polarity(fb.rating)
    if good is None:
        return "neither a correction nor a good/bad rating (a comment alone does not train)"
    if not original:
        return "the original answer was not logged"
    return Example(messages=turns, completion=original, label=good, source=source, meta=meta)


def examples_from_feedback(store: Store, *, statuses: Sequence[str] = ("accepted",), team: str | None = None,
                           limit: int = 100_000) -> tuple[list[Example], list[Issue]]:
    """Examples from every feedback item with one of ``statuses`` (oldest first), plus what was skipped."""
    items: list[Feedback] = []
    for status in statuses:
        items.extend(store.list_feedback(status, team, limit=limit))
    items.sort(key=lambda f: (f.ts, f.id))
    examples: list[Example] = []
    issues: list[Issue] = []
    for fb in items:
        try:
            request = store.get_request(fb.request_id)
        except NotFoundError:
            issues.append(Issue(f"feedback {fb.id}", f"request {fb.request_id} is no longer in the log"))
            continue
        result = example_from_feedback(fb, request)
        if isinstance(result, str):
            issues.append(Issue(f"feedback {fb.id}", result))
        else:
            examples.append(result)
    return examples, issues
