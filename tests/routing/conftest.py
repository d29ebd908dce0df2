"""Shared doubles for the routing tests: a catalog whose models are ScriptedChatModel instances."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from shoal.catalog import Catalog
from shoal.config import Settings, parse_config
from shoal.models.base import ChatModel, EmbeddingModel
from shoal.models.registry import ProviderRegistry
from shoal.models.testing import HashEmbeddingModel, ScriptedChatModel
from shoal.models.types import ModelSpec
from shoal.routing.config import RoutingConfig
from shoal.wiring import catalog as build_catalog


class DoublesProvider:
    """``provider: doubles``: hands out the test's own ScriptedChatModel per model name, with the
    catalog's spec (so the locality in the config is the one the caller sees)."""

    name = "doubles"
    default_locality = "external"
    default_base_url: str | None = None
    api_key_env: str | None = None

    def __init__(self, models: dict[str, ChatModel]) -> None:
        self.models = models

    def chat_model(self, spec: ModelSpec) -> ChatModel:
        model = self.models[spec.name]
        model.spec = replace(spec)
        return model

    def embedding_model(self, spec: ModelSpec) -> EmbeddingModel:
        return HashEmbeddingModel(spec)


def make_catalog(models: dict[str, tuple[str, ChatModel]], routing: dict[str, Any] | None = None,
                 **top: Any) -> Catalog:
    """models: name → (locality, double). The embedded `local` is redefined as a double too unless given."""
    cfg_models = {name: {"provider": "doubles", "locality": loc} for name, (loc, _) in models.items()}
    data = {"models": cfg_models, "routing": routing or {}, **top}
    settings = Settings(parse_config(data), None)
    registry = ProviderRegistry.from_entry_points()
    registry.register(DoublesProvider({name: m for name, (_, m) in models.items()}))
    catalog = build_catalog(settings, registry, check=False)
    ROUTING[catalog] = settings.config.routing
    return catalog


# The routing section each test catalog was built with (the catalog itself holds only `models:`).
ROUTING: weakref.WeakKeyDictionary[Catalog, RoutingConfig] = weakref.WeakKeyDictionary()


def routing_of(catalog: Catalog) -> RoutingConfig:
    return ROUTING[catalog]


@pytest.fixture
def catalog_factory() -> Callable[..., Catalog]:
    return make_catalog


def scripted(responses: list[Any] | None = None, **kw: Any) -> ScriptedChatModel:
    return ScriptedChatModel(None, responses or ["ok"], **kw)
