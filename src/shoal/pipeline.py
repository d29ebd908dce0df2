"""The request path, in one straight line, shared by the CLI and the gateway.

    retrieve (optional) → privacy scan → route → call (fallbacks) → respond

Authentication happens before (gateway) and recording after (gateway/CLI); both need what
``Prepared`` carries. Each stage is a small protocol so packages plug in without this module
importing them at import time.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from shoal.models.scan_text import request_text
from shoal.models.types import ChatRequest, Chunk, Completion, Usage
from shoal.principal import Principal
from shoal.privacy.types import NOT_SENSITIVE, DocLabel, Sensitivity
from shoal.rag.types import Augmented, Citation
from shoal.routing.types import Attempt, CallRecord, Decision

ANONYMOUS = Principal()


class Retriever(Protocol):
    def augment(self, request: ChatRequest, principal: Principal, collection: str | None) -> Augmented: ...


class Answerer(Protocol):
    """Writes grounded answers without a model call, for the models it is configured for."""

    def extractive_for(self, model: str, mode: str | None = None) -> bool: ...

    def answer(self, question: str, passages: Sequence[str], titles: Sequence[str] = ()) -> str:
        """``passages[i]`` is source ``i + 1``; the answer cites them as ``[n]``."""
        ...


class Scanner(Protocol):
    def scan(self, text: str, doc_labels: Sequence[DocLabel] = ()) -> Sensitivity: ...


class Policy(Protocol):
    def route(self, request: ChatRequest, sensitivity: Sensitivity, *, requested: str | None,
              principal: Principal) -> Decision: ...


class Caller(Protocol):
    """Calls the decision's models in order (retries, timeouts, circuit breakers, fallbacks)."""

    async def complete(self, decision: Decision, request: ChatRequest) -> Completion: ...

    def stream(self, decision: Decision, request: ChatRequest) -> AsyncIterator[Chunk]: ...

    async def complete_recorded(self, decision: Decision,
                                request: ChatRequest) -> tuple[Completion, CallRecord]: ...

    def stream_recorded(self, decision: Decision, request: ChatRequest,
                        record: CallRecord) -> AsyncIterator[Chunk]:
        """Like ``stream``; ``record`` names the configured model that served once output starts."""
        ...


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything decided before the model call; recorded with the request."""

    request: ChatRequest
    decision: Decision
    principal: Principal
    requested_model: str | None
    citations: tuple[Citation, ...] = ()
    sensitivity: Sensitivity = NOT_SENSITIVE
    retrieved: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    # The extractive answer, when the routed model answers grounded requests by quoting: then no
    # model is called and the answer costs nothing.
    answer: str | None = None


class Pipeline:
    """Composes the stages; every stage is optional except the policy and the caller."""

    def __init__(self, *, policy: Policy, caller: Caller, scanner: Scanner | None = None,
                 retriever: Retriever | None = None, answerer: Answerer | None = None) -> None:
        self.policy = policy
        self.caller = caller
        self.scanner = scanner
        self.retriever = retriever
        self.answerer = answerer

    def prepare(self, request: ChatRequest, *, requested: str | None = None,
                principal: Principal | None = None, collection: str | None = None,
                retrieve: bool = False, text: str | None = None, answer_mode: str | None = None) -> Prepared:
        """Retrieve, scan and route. Raises ``PolicyRefusedError`` if nothing may serve it.

        ``principal`` defaults to an anonymous caller, who sees only documents visible to everyone.
        ``text`` is ``request_text(request)`` when the caller has already built it (to size the scan).
        ``answer_mode`` (``auto``, ``extractive``, ``generative``) overrides ``rag.answer.mode`` for a
        grounded request; an extractive answer is written here (it needs the retrieved passages).
        """
        principal = principal or ANONYMOUS
        augmented = Augmented(request)
        if self.retriever is not None and (retrieve or collection is not None):
            augmented = self.retriever.augment(request, principal, collection)
        sensitivity = NOT_SENSITIVE
        if self.scanner is not None:
            # Scan every field of what the caller sent (messages, names, tool calls and results, tool
            # definitions, images: ``request_text``) plus retrieved labels; document text is labelled data and
            # is judged by its label, not re-scanned (that would make every HR page "sensitive"
            # by keyword regardless of how it is labelled).
            sensitivity = self.scanner.scan(request_text(request) if text is None else text, augmented.doc_labels)
        decision = self.policy.route(augmented.request, sensitivity, requested=requested, principal=principal)
        answer = None
        if self._extractive(augmented, decision.model, answer_mode):
            assert self.answerer is not None and augmented.grounding is not None
            g = augmented.grounding
            answer = self.answerer.answer(g.question, g.passages, g.titles(augmented.citations))
            decision = replace(decision, reasons=(*decision.reasons, "answer:extractive"))
        return Prepared(request=augmented.request, decision=decision, principal=principal,
                        requested_model=requested, citations=augmented.citations, sensitivity=sensitivity,
                        retrieved=augmented.retrieved, answer=answer)

    def _extractive(self, augmented: Augmented, model: str, mode: str | None) -> bool:
        if self.answerer is None or augmented.grounding is None:
            return False
        r = augmented.request
        # Tools, JSON and schemas ask for a structure only the model can produce.
        if r.tools or r.json_mode or r.json_schema is not None:
            return False
        return self.answerer.extractive_for(model, mode)

    async def complete(self, prepared: Prepared) -> Completion:
        if prepared.answer is not None:
            return _extracted(prepared, CallRecord())[0]
        return await self.caller.complete(prepared.decision, prepared.request)

    def stream(self, prepared: Prepared) -> AsyncIterator[Chunk]:
        if prepared.answer is not None:
            return _stream_extracted(prepared, CallRecord())
        return self.caller.stream(prepared.decision, prepared.request)

    async def complete_recorded(self, prepared: Prepared) -> tuple[Completion, CallRecord]:
        """The completion plus every attempt made for it (what the request log records)."""
        if prepared.answer is not None:
            return _extracted(prepared, CallRecord())
        return await self.caller.complete_recorded(prepared.decision, prepared.request)

    def stream_recorded(self, prepared: Prepared, record: CallRecord) -> AsyncIterator[Chunk]:
        """Stream, filling ``record`` as it goes: the served model is known, never guessed from an id."""
        if prepared.answer is not None:
            return _stream_extracted(prepared, record)
        return self.caller.stream_recorded(prepared.decision, prepared.request, record)


EXTRACTIVE_ID = "extractive"  # the model id an extractive answer reports: no model wrote it


def _extracted(prepared: Prepared, record: CallRecord) -> tuple[Completion, CallRecord]:
    """The prepared extractive answer as a completion of the routed model: no tokens, no cost."""
    assert prepared.answer is not None
    model = prepared.decision.model
    record.served = model
    record.attempts.append(Attempt(model, 1, "ok", detail="extractive answer, no model call"))
    return Completion(text=prepared.answer, model=EXTRACTIVE_ID, usage=Usage(), provider=EXTRACTIVE_ID,
                      name=model), record


async def _stream_extracted(prepared: Prepared, record: CallRecord) -> AsyncIterator[Chunk]:
    completion, _ = _extracted(prepared, record)
    # One delta per quoted sentence with its citation: a client renders it the way it renders tokens.
    pieces = re.findall(r".+?\]\s*|.+$", completion.text) or [completion.text]
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        yield Chunk(delta=piece, model=EXTRACTIVE_ID, finish_reason="stop" if last else None,
                    usage=Usage() if last else None)


class DirectPolicy:
    """The simplest policy: the requested model, else the default. No privacy rules.

    For embedding Shoal where routing is not wanted, and for tests of the stages around it;
    ``shoal.routing.policy.PolicyEngine`` is what the CLI and gateway use.
    """

    def __init__(self, default_model: str) -> None:
        self.default_model = default_model

    def route(self, request: ChatRequest, sensitivity: Sensitivity, *, requested: str | None,
              principal: Principal) -> Decision:
        if requested and requested != "auto":
            return Decision(model=requested, reasons=(f"pin:{requested}",), sensitivity=sensitivity, route="pinned")
        return Decision(model=self.default_model, reasons=(f"default:{self.default_model}",),
                        sensitivity=sensitivity, route="default")


class DirectCaller:
    """Calls the decision's first model once, no retries or fallbacks (see shoal.routing.caller)."""

    def __init__(self, catalog: Any) -> None:
        self.catalog = catalog

    async def complete(self, decision: Decision, request: ChatRequest) -> Completion:
        completion, _ = await self.complete_recorded(decision, request)
        return completion

    def stream(self, decision: Decision, request: ChatRequest) -> AsyncIterator[Chunk]:
        return self.stream_recorded(decision, request, CallRecord())

    async def complete_recorded(self, decision: Decision, request: ChatRequest) -> tuple[Completion, CallRecord]:
        record = CallRecord()
        try:
            result: Completion = await self.catalog.chat_model(decision.model).complete(request)
        except Exception as exc:
            record.attempts.append(Attempt(decision.model, 1, "error", type(exc).__name__, str(exc)))
            raise
        record.served = decision.model
        record.attempts.append(Attempt(decision.model, 1, "ok", latency_s=result.latency_s))
        return (result if result.name else replace(result, name=decision.model)), record

    async def stream_recorded(self, decision: Decision, request: ChatRequest,
                              record: CallRecord) -> AsyncIterator[Chunk]:
        record.served = decision.model
        async for chunk in self.catalog.chat_model(decision.model).stream(request):
            yield chunk
        record.attempts.append(Attempt(decision.model, 1, "ok"))
