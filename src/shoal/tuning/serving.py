"""``provider: registry`` — serve a registry version (or alias) like any other chat model.

::

    models:
      helpdesk:
        provider: registry
        model: helpdesk@champion        # or helpdesk@v3, helpdesk@challenger
        options: {canary_share: 0.1}    # optional; default tuning.canary_share

A version is served by the embedded llama.cpp provider: its base GGUF with the version's GGUF LoRA
adapter applied at load (``lora_path``). An alias is re-read whenever ``registry.json`` changes,
so ``shoal registry promote`` / ``rollback`` take effect on the next request without a restart.

Canary: when the model names ``NAME@champion`` and a challenger exists, ``canary_share`` of the
requests go to the challenger. The choice is sticky per user when the request carries a ``user``
(or ``request_id``) in its metadata. ``Completion.model`` / ``Chunk.model`` say which version
answered (``helpdesk@v3``), so the request log reports usage and feedback per version.

Options: ``registry_dir`` (default: ``tuning.registry_dir`` of the active config), ``canary_share``,
and any option of the llama.cpp provider (``n_ctx``, ``n_threads``, ``max_tokens``...).
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from shoal.errors import ConfigError
from shoal.models.base import ChatModel, EmbeddingModel
from shoal.models.types import ChatRequest, Chunk, Completion, ModelSpec
from shoal.tuning.registry import ModelVersion, Registry, parse_model_ref

_LLAMA_OPTIONS = ("n_ctx", "n_threads", "n_gpu_layers", "seed", "max_tokens", "chat_format", "verbose", "logprobs")


def _llama_model(spec: ModelSpec) -> ChatModel:
    from shoal.models.local import LlamaCppChatModel

    return LlamaCppChatModel(spec)


def canary_pick(share: float, key: str | None, rng: random.Random) -> bool:
    """True when this request goes to the challenger: sticky per key, else random."""
    if share <= 0:
        return False
    if share >= 1:
        return True
    if key:
        h = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
        return h / 0xFFFFFFFF < share
    return rng.random() < share


class RegistryChatModel(ChatModel):
    """Resolves its registry ref per request and delegates to a cached llama.cpp model per version."""

    n_choices = "native"  # the version's llama.cpp model makes the n calls (and checks logprobs)

    def logprobs_supported(self) -> bool:
        return True

    def __init__(self, spec: ModelSpec, registry: Registry | None = None, canary_share: float | None = None,
                 factory: Callable[[ModelSpec], ChatModel] | None = None) -> None:
        super().__init__(spec)
        self.factory = factory or _llama_model
        self.name_, self.tag = parse_model_ref(spec.model_id)
        opts = spec.options
        if registry is None or canary_share is None:
            if registry is None and not opts.get("registry_dir"):
                raise ConfigError("the registry provider needs to know where the model registry is",
                                  key=f"models.{spec.name}.options.registry_dir",
                                  hint="set options.registry_dir, or build the catalog with shoal.wiring.catalog "
                                       "(it fills it in from tuning.registry_dir)")
            registry = registry or Registry(Path(str(opts["registry_dir"])).expanduser())
            canary_share = canary_share if canary_share is not None else float(opts.get("canary_share", 0.0))
        if not 0 <= canary_share <= 1:
            raise ConfigError(f"canary_share must be between 0 and 1 (got {canary_share})",
                              key=f"models.{spec.name}.options.canary_share")
        self.registry = registry
        self.canary_share = canary_share
        self._rng = random.Random()
        self._lock = threading.Lock()
        self._models: dict[int, ChatModel] = {}
        self._stamp = -1.0
        self._aliases: dict[str, int] = {}

    def _resolve(self, request: ChatRequest) -> ModelVersion:
        with self._lock:
            stamp = self.registry.stamp(self.name_)
            if stamp != self._stamp:
                self._aliases = self.registry.aliases(self.name_)
                self._stamp = stamp
            aliases = dict(self._aliases)
        tag = self.tag
        if tag == "champion" and "challenger" in aliases and "champion" in aliases:
            meta = request.metadata or {}
            key = meta.get("user") or meta.get("request_id")
            if canary_pick(self.canary_share, str(key) if key else None, self._rng):
                tag = "challenger"
        if tag in aliases:
            tag = f"v{aliases[tag]}"
        return self.registry.get(f"{self.name_}@{tag}")

    def model_for(self, version: ModelVersion) -> ChatModel:
        """The llama.cpp model serving ``version`` (loaded once, kept while this model lives)."""
        with self._lock:
            model = self._models.get(version.version)
            if model is None:
                options: dict[str, Any] = {k: v for k, v in self.spec.options.items() if k in _LLAMA_OPTIONS}
                options["path"] = version.base_path
                adapter = self.registry.adapter_path(version)
                if adapter is not None:
                    options["lora_path"] = str(adapter)
                inner_spec = replace(self.spec, provider="llama_cpp", model_id=version.ref, options=options)
                model = self.factory(inner_spec)
                self._models[version.version] = model
            return model

    async def _complete(self, request: ChatRequest) -> Completion:
        version = self._resolve(request)
        completion = await self.model_for(version).complete(request)
        return replace(completion, model=version.ref)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        version = self._resolve(request)
        async for chunk in self.model_for(version).stream(request):
            yield replace(chunk, model=version.ref)

    async def aclose(self) -> None:
        for model in list(self._models.values()):
            await model.aclose()


class RegistryProvider:
    """``provider: registry`` — fine-tuned versions from the model registry (always self-hosted)."""

    name = "registry"
    # The keys ``options:`` may hold (anything else is a config error naming the key). The gate pins
    # adapter_sha256/base_sha256 into the entries it evaluates so eval caches key on the exact weights.
    options: frozenset[str] | None = frozenset({*_LLAMA_OPTIONS, "registry_dir", "canary_share",
                                                "adapter_sha256", "base_sha256"})
    default_locality = "self_hosted"
    default_base_url: str | None = None
    api_key_env: str | None = None

    def __init__(self, factory: Callable[[ModelSpec], ChatModel] | None = None) -> None:
        # ``factory`` builds the model serving one version (default: llama.cpp with lora_path).
        self.factory = factory

    def chat_model(self, spec: ModelSpec) -> ChatModel:
        return RegistryChatModel(spec, factory=self.factory)

    def embedding_model(self, spec: ModelSpec) -> EmbeddingModel:
        raise ConfigError("the registry serves chat models only", key=f"models.{spec.name}.provider")
