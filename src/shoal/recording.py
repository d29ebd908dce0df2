"""The last stage of the request path: one ``RequestRecord`` per request, built the same way by
the gateway and by ``shoal.Client`` (and so by the CLI).

Which model served is taken from the caller's ``CallRecord`` — never guessed from a provider's
model id, which two configured models may share — and the cost is that model's price applied to
the usage it reported.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from shoal.models.types import Message, Usage
from shoal.pipeline import Prepared
from shoal.rag.types import Citation
from shoal.store.records import RequestRecord


class RequestIds:
    """Time-ordered request ids: 32 hex digits, milliseconds since the epoch (12) then 80 random bits.

    Time order keeps the request log's primary-key index append-mostly (cheaper inserts than ids
    scattered over the whole index). Ids need to be unique, not secret — feedback lookups are checked
    against the caller's team — so a PRNG seeded once from the OS spares a syscall per request.
    """

    def __init__(self) -> None:
        self._rng = random.Random(os.urandom(32))

    def new(self) -> str:
        return f"{int(time.time() * 1000):012x}{self._rng.getrandbits(80):020x}"


def messages_for_log(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """Messages as the request log stores them (only when content logging is on)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        item: dict[str, Any] = {"role": m.role, "content": m.text}
        if m.images:
            item["images"] = len(m.images)
        if m.tool_calls:
            item["tool_calls"] = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in m.tool_calls]
        if m.tool_call_id:
            item["tool_call_id"] = m.tool_call_id
        out.append(item)
    return out


def citation_dict(c: Citation) -> dict[str, Any]:
    return {"number": c.number, "path": c.path, "title": c.title, "section": c.section, "page": c.page,
            "label": c.label, "score": c.score}


def note_route(rec: RequestRecord, prepared: Prepared) -> None:
    """Copy what was decided before the call (route, reasons, sensitivity, citations) into ``rec``."""
    d = prepared.decision
    rec.route, rec.route_reasons = d.route, list(d.reasons)
    rec.sensitivity, rec.sensitivity_reasons = prepared.sensitivity.level, list(prepared.sensitivity.reasons)
    rec.served_model = d.model
    if prepared.citations:
        rec.citations = [citation_dict(c) for c in prepared.citations]


def note_answer(rec: RequestRecord, name: str, model_id: str | None, usage: Usage, cost: float,
                text: str | None, *, log_content: bool) -> None:
    """Copy who answered, the usage and the cost into ``rec`` (the text only with content logging)."""
    rec.served_model, rec.served_model_id = name, model_id
    rec.prompt_tokens, rec.completion_tokens, rec.cost_usd = usage.prompt_tokens, usage.completion_tokens, cost
    if log_content:
        rec.response_text = text


def response_meta(rec: RequestRecord, prepared: Prepared) -> dict[str, Any]:
    """The ``shoal`` metadata a response carries: request id, who served, route, citations, cost."""
    return {"request_id": rec.request_id, "model": rec.served_model, "model_id": rec.served_model_id,
            "route": rec.route, "reasons": rec.route_reasons,
            "fallback": rec.served_model != prepared.decision.model,
            "sensitivity": {"level": rec.sensitivity, "reasons": rec.sensitivity_reasons},
            "citations": rec.citations, "cost_usd": round(rec.cost_usd, 10)}
