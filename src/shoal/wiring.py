"""Builds the parts from the config: the one place that reads the whole ``Settings``.

Every component below gets its own config section plus explicit paths (``shoal.paths.Paths``):
the catalog, the stores, the RAG searcher, eval runs (``EvalProject``) and the promotion gate.
The CLI (`shoal ask`, `shoal route`), the gateway and ``shoal.Client`` all call ``build_pipeline``
so that a request is retrieved, scanned, routed and called the same way wherever it enters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shoal.config import Settings
from shoal.pipeline import Pipeline

if TYPE_CHECKING:
    from shoal.catalog import Catalog
    from shoal.evals.project import EvalProject
    from shoal.models.registry import ProviderRegistry
    from shoal.rag.search import Searcher
    from shoal.rag.stores.base import DocumentStore
    from shoal.routing.breaker import CircuitBreakers
    from shoal.routing.caller import FallbackCaller
    from shoal.routing.policy import PolicyEngine
    from shoal.store import Store
    from shoal.tuning.gate import GateDecision
    from shoal.tuning.registry import Registry as TuningRegistry


@dataclass(slots=True)
class Wired:
    """The pipeline plus the concrete parts callers may want to inspect (breakers, caller)."""

    pipeline: Pipeline
    policy: PolicyEngine
    caller: FallbackCaller
    breakers: CircuitBreakers
    searcher: Searcher


def catalog(settings: Settings, registry: ProviderRegistry | None = None, *, check: bool = True) -> Catalog:
    """The model catalog, with what providers need from the rest of the config passed in explicitly.

    ``check`` validates every configured model now, so `provider: opneai` or
    `options: {n_thread: 2}` stops the command instead of surfacing at the first call.
    """
    from shoal.catalog import Catalog
    from shoal.tuning.registry import provider_options

    built = Catalog(settings.config.models, registry, default_model=settings.config.default_model,
                    paths=settings.paths, provider_options=provider_options(settings.config.tuning, settings.paths))
    if check:
        built.check()
    return built


def eval_project(settings: Settings) -> EvalProject:
    """The sections and folders an eval run reads (``evals``, ``privacy``, ``routing``, ``rag``)."""
    from shoal.evals.project import EvalProject

    c = settings.config
    return EvalProject(paths=settings.paths, evals=c.evals, privacy=c.privacy, routing=c.routing, rag=c.rag)


def run_gate(settings: Settings, registry: TuningRegistry, candidate_ref: str, *, progress: bool = False,
             providers: ProviderRegistry | None = None) -> GateDecision:
    """The promotion gate of ``shoal.tuning.gate`` with this project's sections; ``providers``
    replaces the entry-point provider registry (to serve versions some other way)."""
    from shoal.models.config import ModelConfig
    from shoal.tuning.gate import run_gate as _run_gate

    def catalog_with(entries: Mapping[str, dict[str, Any]]) -> Catalog:
        models = {**settings.config.models, **{k: ModelConfig(**v) for k, v in entries.items()}}
        return catalog(Settings(settings.config.model_copy(update={"models": models}), settings.path), providers,
                       check=False)

    return _run_gate(settings.config.tuning, eval_project(settings), registry, candidate_ref,
                     catalog_with=catalog_with, progress=progress)


def document_store(settings: Settings, collection: str | None = None, *, create: bool = True) -> DocumentStore | None:
    """The RAG document store of ``settings`` (``rag.store``) for ``collection``."""
    from shoal.rag.stores import open_store as _open

    return _open(settings.config.rag, settings.paths, collection, create=create)


def open_store(settings: Settings, *, background_writes: bool = False) -> Store:
    """The request-log store of ``settings`` (``store:`` section), opened and migrated."""
    from shoal.store import open_store as _open

    return _open(settings.config.store, settings.paths, background_writes=background_writes)


def build(settings: Settings, catalog: Catalog) -> Wired:
    """Privacy scanner + policy engine + fallback caller (sharing one set of circuit breakers,
    so the policy never picks a model whose circuit is open) + the RAG retriever."""
    from shoal.privacy.scanner import PrivacyScanner
    from shoal.rag.extractive import ExtractiveAnswerer
    from shoal.rag.retriever import RagRetriever
    from shoal.routing.breaker import CircuitBreakers
    from shoal.routing.caller import FallbackCaller
    from shoal.routing.policy import PolicyEngine

    routing = settings.config.routing
    breakers = CircuitBreakers(routing.circuit_breaker)
    caller = FallbackCaller(catalog, routing, breakers=breakers)
    policy = PolicyEngine(routing, catalog, health=breakers.is_available)
    # Always scan: with privacy.enabled off the scanner still honours retrieved documents' labels.
    scanner = PrivacyScanner(settings.config.privacy)
    retriever = RagRetriever(settings.config.rag, settings.paths, catalog)
    pipeline = Pipeline(policy=policy, caller=caller, scanner=scanner, retriever=retriever,
                        answerer=ExtractiveAnswerer.for_catalog(settings.config.rag.answer, catalog,
                                                                settings.config.rag.embedder))
    return Wired(pipeline=pipeline, policy=policy, caller=caller, breakers=breakers, searcher=retriever.searcher)


def build_pipeline(settings: Settings, catalog: Catalog) -> Pipeline:
    return build(settings, catalog).pipeline
