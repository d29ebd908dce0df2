"""What an eval compares: a configured model, a RAG configuration (retrieve + answer), or the
routing pipeline (``auto``). A target *plans* a call — retrieval and routing run here, they are
local and free — and the runner makes the paid call through the cache and the budget.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shoal.catalog import Catalog
from shoal.errors import ConfigError, DependencyMissingError, UnknownModelError
from shoal.evals.dataset import EvalItem
from shoal.evals.metrics.base import RetrievedChunk
from shoal.evals.project import EvalProject
from shoal.evals.spec import EvalSpec, TargetConfig
from shoal.models.scan_text import request_text
from shoal.models.types import ChatRequest, Completion, Message, Usage
from shoal.principal import Principal


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """The model that will answer, the exact request, and what retrieval/routing contributed."""

    model: str
    request: ChatRequest
    retrieved: tuple[RetrievedChunk, ...] = ()
    is_rag: bool = False
    context: str = ""
    route_reasons: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    answer: Completion | None = None  # written without a model call (an extractive RAG answer)


class Target(ABC):
    kind: str = ""

    def __init__(self, config: TargetConfig, spec: EvalSpec, project: EvalProject, catalog: Catalog) -> None:
        self.config = config
        self.spec = spec
        self.project = project
        self.catalog = catalog
        self.label = config.label

    def base_request(self, item: EvalItem, sample: int) -> ChatRequest:
        system = self.config.system if self.config.system is not None else self.spec.system
        messages = item.messages
        if system and not any(m.role == "system" for m in messages):
            messages = (Message.system(system), *messages)
        temperature = self.config.temperature if self.config.temperature is not None else self.spec.temperature
        # Several samples only differ when sampling is on; give each its own seed so that local
        # models (fixed default seed) do not return the same text n times.
        seed = sample if self.spec.samples > 1 else None
        return ChatRequest(messages=messages, temperature=temperature, seed=seed,
                           max_tokens=self.config.max_tokens or self.spec.max_tokens)

    @abstractmethod
    def model_names(self) -> list[str]:
        """Models this target may call (for locality and cost checks)."""

    @abstractmethod
    async def plan(self, item: EvalItem, sample: int) -> PlannedCall: ...


class ModelTarget(Target):
    kind = "model"

    def model_names(self) -> list[str]:
        return [str(self.config.model)]

    async def plan(self, item: EvalItem, sample: int) -> PlannedCall:
        return PlannedCall(model=str(self.config.model), request=self.base_request(item, sample))


def _retriever(project: EvalProject, catalog: Catalog) -> Any:
    try:
        module = importlib.import_module("shoal.rag.retriever")
    except ImportError as exc:
        raise DependencyMissingError(f"RAG targets need shoal.rag.retriever ({exc})",
                                     hint="install the RAG package or remove rag: targets") from None
    return module.RagRetriever(project.rag, project.paths, catalog)


class RagTarget(Target):
    """Retrieve from a collection (with the spec's principal groups), then answer with the model."""

    kind = "rag"

    def __init__(self, config: TargetConfig, spec: EvalSpec, project: EvalProject, catalog: Catalog) -> None:
        super().__init__(config, spec, project, catalog)
        assert config.rag is not None
        self.rag = config.rag
        self._retriever: Any = None
        self._answerer: Any = None
        # Retrieval embeds with the same in-process model the embedding metric uses; the runner
        # hands both one lock, because tokenizers are not safe to call from two threads at once.
        self.embed_lock = asyncio.Lock()

    def model_names(self) -> list[str]:
        return [self.rag.model or self.catalog.default_model]

    async def plan(self, item: EvalItem, sample: int) -> PlannedCall:
        if self._retriever is None:
            self._retriever = _retriever(self.project, self.catalog)
        request = self.base_request(item, sample)
        principal = Principal.of(groups=list(self.rag.groups))
        model = self.model_names()[0]
        answer: Completion | None = None
        async with self.embed_lock:
            augmented = await asyncio.to_thread(self._retriever.augment, request, principal, self.rag.collection)
            if self._extractive(model) and augmented.grounding is not None:
                answer = await asyncio.to_thread(self._extract, augmented, model)
        passages = augmented.grounding.passages if augmented.grounding is not None else ()
        retrieved = tuple(RetrievedChunk(number=c.number, path=c.path, chunk_id=c.chunk_id,
                                         text=passages[c.number - 1] if c.number <= len(passages) else "")
                          for c in augmented.citations)
        original = {(m.role, m.text) for m in request.messages}
        context = "\n".join(m.text for m in augmented.request.messages if (m.role, m.text) not in original)
        return PlannedCall(model=model, request=augmented.request, retrieved=retrieved, is_rag=True,
                           context=context, answer=answer,
                           route_reasons=("answer:extractive",) if answer is not None else ())

    def _extractive(self, model: str) -> bool:
        if self._answerer is None:
            from shoal.rag.extractive import ExtractiveAnswerer

            rag = self.project.rag
            self._answerer = ExtractiveAnswerer.for_catalog(rag.answer, self.catalog, rag.embedder)
        # auto: whatever rag.answer in the project config decides for this model.
        return bool(self._answerer.extractive_for(model, None if self.rag.answer == "auto" else self.rag.answer))

    def _extract(self, augmented: Any, model: str) -> Completion:
        start = time.perf_counter()
        g = augmented.grounding
        text = self._answerer.answer(g.question, g.passages, g.titles(augmented.citations))
        return Completion(text=text, model="extractive", usage=Usage(), latency_s=time.perf_counter() - start,
                          provider="extractive", name=model)


class RouteTarget(Target):
    """Each item goes where the routing policy sends it (privacy pins, learned router, defaults)."""

    kind = "route"

    def __init__(self, config: TargetConfig, spec: EvalSpec, project: EvalProject, catalog: Catalog) -> None:
        super().__init__(config, spec, project, catalog)
        self._policy: Any = None
        self._scanner: Any = None

    def _load(self) -> None:
        try:
            policy_mod = importlib.import_module("shoal.routing.policy")
        except ImportError as exc:
            raise DependencyMissingError(f"route targets need shoal.routing.policy ({exc})",
                                         hint="install the routing package or remove route: targets") from None
        self._policy = policy_mod.PolicyEngine(self.project.routing, self.catalog)
        try:
            scanner_mod = importlib.import_module("shoal.privacy.scanner")
            self._scanner = scanner_mod.PrivacyScanner(self.project.privacy)
        except ImportError:
            self._scanner = None

    def model_names(self) -> list[str]:
        return [s.name for s in self.catalog.specs(kind="chat")]

    async def plan(self, item: EvalItem, sample: int) -> PlannedCall:
        from shoal.privacy.types import NOT_SENSITIVE

        if self._policy is None:
            self._load()
        request = self.base_request(item, sample)
        sensitivity = self._scanner.scan(request_text(request)) if self._scanner is not None else NOT_SENSITIVE
        decision = self._policy.route(request, sensitivity, requested=self.config.route, principal=Principal())
        return PlannedCall(model=decision.model, request=request, route_reasons=tuple(decision.reasons),
                           extra={"sensitive": sensitivity.is_sensitive})


TARGETS: dict[str, Callable[[TargetConfig, EvalSpec, EvalProject, Catalog], Target]] = {
    "model": ModelTarget, "rag": RagTarget, "route": RouteTarget,
}


def build_targets(spec: EvalSpec, project: EvalProject, catalog: Catalog, source: str = "(spec)") -> list[Target]:
    """One Target per spec entry; model names are checked now so typos fail before any call."""
    out: list[Target] = []
    for i, cfg in enumerate(spec.targets):
        target = TARGETS[cfg.kind](cfg, spec, project, catalog)
        if cfg.kind != "route":
            for name in target.model_names():
                try:
                    catalog.spec(name, resolve_secret=False)
                except UnknownModelError as exc:
                    key = f"targets.{i}.model" if cfg.kind == "model" else f"targets.{i}.rag.model"
                    raise ConfigError(exc.message.split(": ")[-1], file=source, key=key, hint=exc.hint) from None
        out.append(target)
    return out
