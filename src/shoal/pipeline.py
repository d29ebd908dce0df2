"""The request path, in one straight line, shared by the CLI and the gateway.

    retrieve (optional) → privacy scan → route → call (fallbacks) → respond

Authentication happens before (gateway) and recording after (gateway/CLI); both need what
``Prepared`` carries. Each stage is a small protocol so packages plug in without this module
importing them at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from shoal.models.scan_text import request_text
from shoal.models.types import ChatRequest, Chunk, Completion
from shoal.principal import Principal
from shoal.privacy.types import NOT_SENSITIVE, DocLabel, Sensitivity
from shoal.routing.types import Attempt, CallRecord, Decision

ANONYMOUS = Principal()


@dataclass(frozen=True, slots=True)
class Citation:
    """``[n]`` in an answer resolves to this: a document, its section and page."""

    number: int
    path: str
    title: str = ""
    section: str = ""
    page: int | None = None
    label: str = "internal"
    chunk_id: str = ""
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Augmented:
    """A request grounded in retrieved chunks (or unchanged when nothing was retrieved)."""

    request: ChatRequest
    citations: tuple[Citation, ...] = ()
    doc_labels: tuple[DocLabel, ...] = ()
    retrieved: int = 0  # chunks the caller may see that were used; 0 = answer "not in the documents"


class Retriever(Protocol):
    def augment(self, request: ChatRequest, principal: Principal, collection: str | None) -> Augmented: ...


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


class Pipeline:
    """Composes the stages; every stage is optional except the policy and the caller."""

    def __init__(self, *, policy: Policy, caller: Caller, scanner: Scanner | None = None,
                 retriever: Retriever | None = None) -> None:
        self.policy = policy
        self.caller = caller
        self.scanner = scanner
        self.retriever = retriever

    def prepare(self, request: ChatRequest, *, requested: str | None = None,
                principal: Principal | None = None, collection: str | None = None,
                retrieve: bool = False, text: str | None = None) -> Prepared:
        """Retrieve, scan and route. Raises ``PolicyRefusedError`` if nothing may serve it.

        ``principal`` defaults to an anonymous caller, who sees only documents visible to everyone.
        ``text`` is ``request_text(request)`` when the caller has already built it (to size the scan).
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
        return Prepared(request=augmented.request, decision=decision, principal=principal,
                        requested_model=requested, citations=augmented.citations, sensitivity=sensitivity,
                        retrieved=augmented.retrieved)

    async def complete(self, prepared: Prepared) -> Completion:
        return await self.caller.complete(prepared.decision, prepared.request)

    def stream(self, prepared: Prepared) -> AsyncIterator[Chunk]:
        return self.caller.stream(prepared.decision, prepared.request)

    async def complete_recorded(self, prepared: Prepared) -> tuple[Completion, CallRecord]:
        """The completion plus every attempt made for it (what the request log records)."""
        return await self.caller.complete_recorded(prepared.decision, prepared.request)

    def stream_recorded(self, prepared: Prepared, record: CallRecord) -> AsyncIterator[Chunk]:
        """Stream, filling ``record`` as it goes: the served model is known, never guessed from an id."""
        return self.caller.stream_recorded(prepared.decision, prepared.request, record)


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
