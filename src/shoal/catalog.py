"""The model catalog: configured models merged with built-in prices, context windows and locality.

A name resolves in this order: an entry under ``models:`` in shoal.yaml (its fields override the
built-in figures of the model id it names), else a built-in catalog entry (so
``--model gpt-4o-mini`` works with just ``OPENAI_API_KEY`` set), else an error listing what is
configured. The embedded model ``local`` and the embedded embedder ``minilm`` are always present
unless config redefines them.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoal.catalog_data import BUILTIN, EMBEDDED_ENTRY, EMBEDDED_NAME, CatalogEntry
from shoal.errors import ConfigError, UnknownModelError
from shoal.models.base import ChatModel, EmbeddingModel
from shoal.models.registry import ProviderRegistry
from shoal.models.types import ModelSpec, Pricing
from shoal.paths import Paths

if TYPE_CHECKING:
    from shoal.models.config import ModelConfig

EMBEDDED_EMBEDDER_NAME = "minilm"
EMBEDDED_EMBEDDER_ENTRY = CatalogEntry("sentence_transformers", 0.0, 0.0, 256, (), "embedding")
# The concrete ids the embedded defaults report (what the request log and `shoal models` show).
DEFAULT_IDS = {EMBEDDED_NAME: "SmolLM2-135M-Instruct-Q4_1", EMBEDDED_EMBEDDER_NAME: "all-MiniLM-L6-v2"}


class Catalog:
    """Resolves model names to ``ModelSpec`` and builds (and caches) model instances.

    ``models`` is the ``models:`` section; ``paths`` resolves ``file:`` secrets and names the config
    file in errors. The wiring builds it from the config (``shoal.wiring.catalog``).
    """

    def __init__(self, models: Mapping[str, ModelConfig] | None = None, registry: ProviderRegistry | None = None, *,
                 default_model: str = EMBEDDED_NAME, paths: Paths | None = None,
                 provider_options: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.models: dict[str, ModelConfig] = dict(models or {})
        self.paths = paths or Paths.at(Path.cwd())
        self._default_model = default_model
        self.registry = registry or ProviderRegistry.from_entry_points()
        # Defaults the wiring supplies per provider (e.g. where the model registry lives), under each
        # model's own ``options``: providers get what they need explicitly, never from the environment.
        self.provider_options = {k: dict(v) for k, v in (provider_options or {}).items()}
        self._chat: dict[str, ChatModel] = {}
        self._embed: dict[str, EmbeddingModel] = {}

    # --- names -----------------------------------------------------------------------------------

    def configured_names(self) -> list[str]:
        """Configured models plus the embedded defaults, config order first."""
        names = list(self.models)
        for builtin in (EMBEDDED_NAME, EMBEDDED_EMBEDDER_NAME):
            if builtin not in names:
                names.append(builtin)
        return names

    def specs(self, *, kind: str | None = None) -> list[ModelSpec]:
        out = [self.spec(n, resolve_secret=False) for n in self.configured_names()]
        return [s for s in out if kind is None or s.kind == kind]

    @property
    def default_model(self) -> str:
        return self._default_model

    # --- resolution ------------------------------------------------------------------------------

    def spec(self, name: str, *, resolve_secret: bool = True) -> ModelSpec:
        cfg = self.models.get(name)
        if cfg is None:
            entry = self._builtin(name)
            if entry is None:
                raise UnknownModelError(
                    f"no model named {name!r}", model=name, file=self.paths.source, key="models",
                    hint=f"configured: {', '.join(self.configured_names())}; add it under models: "
                         "in shoal.yaml (`shoal init` writes a starter)")
            return self._from_entry(name, DEFAULT_IDS.get(name, name), entry, resolve_secret)
        return self._from_config(name, cfg, resolve_secret)

    @staticmethod
    def _builtin(model_id: str) -> CatalogEntry | None:
        if model_id == EMBEDDED_NAME:
            return EMBEDDED_ENTRY
        if model_id == EMBEDDED_EMBEDDER_NAME:
            return EMBEDDED_EMBEDDER_ENTRY
        return BUILTIN.get(model_id)

    def _from_entry(self, name: str, model_id: str, entry: CatalogEntry, resolve_secret: bool) -> ModelSpec:
        provider = self.registry.get(entry.provider)
        key_ref = f"env:{provider.api_key_env}" if provider.api_key_env else None
        return ModelSpec(
            name=name, provider=entry.provider, model_id=model_id,
            locality=provider.default_locality,  # type: ignore[arg-type]
            pricing=Pricing(entry.input_per_mtok, entry.output_per_mtok),
            context_window=entry.context_window, capabilities=frozenset(entry.capabilities),
            base_url=provider.default_base_url, api_key_ref=key_ref,
            api_key=self._secret(key_ref, name) if (resolve_secret and key_ref) else None,
            kind=entry.kind,  # type: ignore[arg-type]
            options=dict(self.provider_options.get(entry.provider, {})),
        )

    def _from_config(self, name: str, cfg: ModelConfig, resolve_secret: bool) -> ModelSpec:
        model_id = cfg.model or DEFAULT_IDS.get(name, name)
        entry = self._builtin(cfg.model or name) or self._builtin(name)
        provider_name = cfg.provider or (entry.provider if entry else None)
        if provider_name is None:
            raise ConfigError("no provider given and the model id is not in the built-in catalog",
                              file=self.paths.source, key=f"models.{name}.provider",
                              hint=f"set provider: to one of {', '.join(self.registry.names())}")
        try:
            provider = self.registry.get(provider_name)
        except ConfigError as exc:
            close = difflib.get_close_matches(provider_name, self.registry.names(), n=1)
            raise ConfigError(exc.message, file=self.paths.source, key=f"models.{name}.provider",
                              hint=f"did you mean {close[0]!r}? ({exc.hint})" if close else exc.hint) from None
        known = getattr(provider, "options", None)
        if known is not None:
            for key in cfg.options:
                if key not in known:
                    close = difflib.get_close_matches(key, sorted(known), n=1)
                    raise ConfigError(f"unknown option {key!r} for provider {provider_name!r}",
                                      file=self.paths.source, key=f"models.{name}.options.{key}",
                                      hint=f"did you mean {close[0]!r}?" if close else
                                      f"options of {provider_name}: {', '.join(sorted(known))}")
        if entry is not None and entry.provider != provider_name:
            entry = None  # e.g. gpt-4o-mini served by a proxy under another provider: prices unknown
        key_ref = cfg.api_key
        if key_ref is None and provider.api_key_env and cfg.base_url is None:
            key_ref = f"env:{provider.api_key_env}"
        pricing = Pricing(
            cfg.input_price if cfg.input_price is not None else (entry.input_per_mtok if entry else 0.0),
            cfg.output_price if cfg.output_price is not None else (entry.output_per_mtok if entry else 0.0),
            cfg.hourly_cost, cfg.setup_cost, cfg.gpus, cfg.max_tokens_per_s,
        )
        caps = cfg.capabilities if cfg.capabilities is not None else (
            list(entry.capabilities) if entry else ["streaming"])
        return ModelSpec(
            name=name, provider=provider_name, model_id=model_id,
            locality=cfg.locality or provider.default_locality,  # type: ignore[arg-type]
            pricing=pricing,
            # An explicit llama.cpp n_ctx is the window the runtime enforces.
            context_window=cfg.context_window or _positive_int(cfg.options.get("n_ctx")) or (
                entry.context_window if entry else None),
            capabilities=frozenset(caps),
            base_url=cfg.base_url or provider.default_base_url,
            api_key_ref=key_ref,
            api_key=self._secret(key_ref, f"models.{name}.api_key") if (resolve_secret and key_ref) else None,
            timeout_s=cfg.timeout,
            kind=cfg.kind or (entry.kind if entry else "chat"),  # type: ignore[arg-type]
            options={**self.provider_options.get(provider_name, {}), **cfg.options},
        )

    def _secret(self, ref: str, key: str) -> str:
        return self.paths.secret(ref, key=key if "." in key else f"models.{key}.api_key")

    def check(self) -> None:
        """Raise the first ``ConfigError`` among the configured models (unknown provider, unknown
        option key ...), so a typo stops the command instead of surfacing at the first request.
        Secrets are not resolved here: a missing key only matters to the model that needs it."""
        for name in self.models:
            self.spec(name, resolve_secret=False)

    def capabilities_declared(self, name: str) -> bool:
        """Whether ``name``'s capabilities are known (config ``capabilities:`` or a built-in entry),
        as opposed to the bare default a model nobody described gets."""
        cfg = self.models.get(name)
        if cfg is None:
            return self._builtin(name) is not None
        if cfg.capabilities is not None:
            return True
        entry = self._builtin(cfg.model or name) or self._builtin(name)
        return entry is not None and (cfg.provider is None or entry.provider == cfg.provider)

    # --- instances -------------------------------------------------------------------------------

    def chat_model(self, name: str | None = None) -> ChatModel:
        name = name or self.default_model
        if name not in self._chat:
            spec = self.spec(name)
            if spec.kind != "chat":
                raise ConfigError(f"model {name!r} is an embedding model, not a chat model",
                                  file=self.paths.source, key=f"models.{name}.kind")
            self._chat[name] = self.registry.get(spec.provider).chat_model(spec)
        return self._chat[name]

    def embedding_model(self, name: str | None = None) -> EmbeddingModel:
        name = name or EMBEDDED_EMBEDDER_NAME
        if name not in self._embed:
            spec = self.spec(name)
            self._embed[name] = self.registry.get(spec.provider).embedding_model(spec)
        return self._embed[name]

    async def aclose(self) -> None:
        for model in self._chat.values():
            await model.aclose()
        for emb in self._embed.values():
            await emb.aclose()


def _positive_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
