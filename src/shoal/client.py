"""``shoal.Client``: the front door for Python code — the same request path as the CLI and gateway.

    import shoal
    client = shoal.SyncClient.from_config()
    r = client.chat("How many days of leave do I get?", retrieve=True)
    print(r.text, r.route, r.reasons, r.citations, r.cost_usd)

One call retrieves (optionally, as the given ``Principal``), scans, routes, calls the model with
retries and fallbacks, and records one request record when a store is configured. ``Client`` is
async; ``SyncClient`` wraps it for scripts and notebooks (one private event loop, no threads).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from shoal import errors
from shoal.content_log import ContentLog
from shoal.models.types import ChatRequest, Chunk, Completion, Message, ToolCall, Usage
from shoal.pipeline import Prepared
from shoal.principal import Principal
from shoal.privacy.types import Sensitivity
from shoal.rag.types import Citation
from shoal.recording import RequestIds, messages_for_log, note_answer, note_route
from shoal.routing.types import CallRecord, Decision
from shoal.store.records import RequestRecord

if TYPE_CHECKING:
    from shoal.catalog import Catalog
    from shoal.config import Settings
    from shoal.rag.types import Hit
    from shoal.store import Store
    from shoal.wiring import Wired

Prompt = str | Sequence[Message] | ChatRequest

# What a failure is recorded as (the gateway maps the same errors to these HTTP statuses).
_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (errors.PolicyRefusedError, 403), (errors.ContextLengthError, 400), (errors.BadRequestError, 400),
    (errors.RateLimitError, 429), (errors.ProviderTimeoutError, 504), (errors.ConfigError, 400),
    (errors.ProviderError, 502),
)


def _status_of(exc: BaseException) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


@dataclass(frozen=True, slots=True)
class ChatResult:
    """One answered request: the answer, who served it and why, what it cost, what it cites.

    ``call`` lists every attempt (retries, fallbacks); ``request_id`` is the id of the request
    record written to the store (``None`` when recording is off) — the id ``shoal feedback add``
    and ``/v1/feedback`` take.
    """

    completion: Completion
    prepared: Prepared
    call: CallRecord
    request_id: str | None = None
    latency_s: float = 0.0

    @property
    def text(self) -> str:
        return self.completion.text

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        return self.completion.tool_calls

    @property
    def model(self) -> str:
        """The configured name of the model that served (after any fallback)."""
        return self.call.served or self.completion.name or self.prepared.decision.model

    @property
    def model_id(self) -> str:
        return self.completion.model

    @property
    def decision(self) -> Decision:
        return self.prepared.decision

    @property
    def route(self) -> str:
        """Why this kind of model: ``privacy``, ``pinned``, ``team``, ``router`` or ``default``."""
        return self.prepared.decision.route

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.prepared.decision.reasons

    @property
    def sensitivity(self) -> Sensitivity:
        return self.prepared.sensitivity

    @property
    def citations(self) -> tuple[Citation, ...]:
        return self.prepared.citations

    @property
    def usage(self) -> Usage:
        return self.completion.usage

    @property
    def cost_usd(self) -> float:
        return self.completion.cost_usd

    @property
    def fallback(self) -> bool:
        return self.model != self.prepared.decision.model

    def __str__(self) -> str:
        return self.text


@dataclass(slots=True)
class _Pending:
    """What a stream accumulates until it ends."""

    parts: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    finish: str = "stop"
    model_id: str | None = None


class Stream:
    """An answer as it is generated: ``async for chunk in stream``; then ``stream.result``.

    The request is retrieved, scanned and routed on the first iteration (``await stream.start()``
    does it earlier, e.g. to show the route before the first token). Leaving early (``break``,
    Ctrl-C, an exception) cancels the model call; ``aclose()`` does it explicitly.
    """

    def __init__(self, client: Client, request: ChatRequest, kw: dict[str, Any]) -> None:
        self._client = client
        self._request = request
        self._kw = kw
        self._prepared: Prepared | None = None
        self._source: AsyncIterator[Chunk] | None = None
        self._call = CallRecord()
        self._pending = _Pending()
        self._result: ChatResult | None = None
        self._rec: RequestRecord | None = None
        self._start = time.perf_counter()
        self._closed = False

    @property
    def prepared(self) -> Prepared:
        if self._prepared is None:
            raise RuntimeError("the stream has not started: iterate it or await start() first")
        return self._prepared

    @property
    def result(self) -> ChatResult:
        """The whole answer, with route, citations and cost; available once the stream has ended."""
        if self._result is None:
            raise RuntimeError("the stream has not finished: read it to the end first")
        return self._result

    async def start(self) -> Prepared:
        if self._prepared is None:
            self._rec, self._prepared = await self._client._prepare(self._request, **self._kw)
            if self._rec is not None:
                self._rec.stream = True
            self._source = self._client._pipeline.stream_recorded(self._prepared, self._call).__aiter__()
        return self._prepared

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> Chunk:
        if self._closed:
            raise StopAsyncIteration
        await self.start()
        assert self._source is not None
        try:
            chunk = await self._source.__anext__()
        except StopAsyncIteration:
            await self._finish(None)
            raise
        except BaseException as exc:
            await self._finish(exc)
            raise
        p = self._pending
        if self._rec is not None and self._rec.ttft_ms is None and (chunk.delta or chunk.tool_calls):
            self._rec.ttft_ms = (time.perf_counter() - self._start) * 1000.0
        if chunk.delta:
            p.parts.append(chunk.delta)
        if chunk.tool_calls:
            p.tool_calls = list(chunk.tool_calls)
        if chunk.usage is not None:
            p.usage = chunk.usage
        if chunk.finish_reason:
            p.finish = chunk.finish_reason
        if chunk.model:
            p.model_id = chunk.model
        return chunk

    async def _finish(self, exc: BaseException | None) -> None:
        if self._closed:
            return
        self._closed = True
        prepared, p, call = self.prepared, self._pending, self._call
        name = call.served or prepared.decision.model
        usage = p.usage or Usage()
        cost = self._client._price(name, usage)
        completion = Completion(text="".join(p.parts), model=p.model_id or "", finish_reason=p.finish,
                                usage=usage, cost_usd=cost, latency_s=time.perf_counter() - self._start,
                                tool_calls=tuple(p.tool_calls), name=name)
        rec = self._rec
        if rec is not None:
            note_answer(rec, name, p.model_id, usage, cost, completion.text, log_content=self._client.log_content)
            if exc is not None:
                rec.status, rec.error = (499, "stopped by the caller") if isinstance(
                    exc, (asyncio.CancelledError, KeyboardInterrupt, GeneratorExit)) else (_status_of(exc), str(exc))
            await self._client._write(rec, self._start)
        self._result = ChatResult(completion, prepared, call, rec.request_id if rec is not None else None,
                                  completion.latency_s)

    async def aclose(self) -> None:
        """Stop the answer (the model call is cancelled) and record what was produced."""
        if self._source is not None:
            close = getattr(self._source, "aclose", None)
            if close is not None:
                await close()
        if self._prepared is not None and not self._closed:
            await self._finish(asyncio.CancelledError())
        self._closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def text(self) -> str:
        """Read the stream to its end and return the answer's text."""
        async for _ in self:
            pass
        return self.result.text


class Client:
    """Async front door: ``chat``, ``stream``, ``embed``, ``search`` over one configured Shoal.

    Build it with ``Client.from_config(path)`` (``None``: ``$SHOAL_CONFIG``, else ``./shoal.yaml``,
    else the embedded defaults). Requests are recorded in the configured store (``record=False``
    turns that off). Close it with ``await client.aclose()`` or ``async with``.
    """

    def __init__(self, settings: Settings | None = None, *, catalog: Catalog | None = None,
                 record: bool = True) -> None:
        from shoal.config import Settings, ShoalConfig
        from shoal.wiring import build
        from shoal.wiring import catalog as build_catalog

        self.settings = settings or Settings(ShoalConfig(), None)
        self.catalog = catalog or build_catalog(self.settings)
        self._wired: Wired = build(self.settings, self.catalog)
        self._pipeline = self._wired.pipeline
        self.record = record
        # The request log keeps content as gateway.log_content says (masked by default).
        self.content = ContentLog.for_scanner(self.settings.config.gateway.log_content, self._pipeline.scanner)
        self.log_content = self.content.keeps_content
        self._store: Store | None = None
        self._ids = RequestIds()

    @classmethod
    def from_config(cls, path: str | Path | None = None, *, record: bool = True) -> Client:
        """A client for the config at ``path`` (or the one Shoal finds; none = embedded defaults)."""
        from shoal.config import load_settings

        return cls(load_settings(path), record=record)

    # --- chat --------------------------------------------------------------------------------------

    async def chat(self, prompt: Prompt, *, model: str | None = None, system: str | None = None,
                   principal: Principal | None = None, retrieve: bool = False, collection: str | None = None,
                   max_tokens: int | None = None, temperature: float | None = None,
                   tools: Sequence[dict[str, Any]] = (), **options: Any) -> ChatResult:
        """Answer ``prompt`` (a string, messages or a ``ChatRequest``) and return the whole result.

        ``model`` pins a configured model (privacy rules still apply); ``None`` or ``"auto"`` lets
        the policy and router choose. ``retrieve=True`` (or a ``collection``) grounds the answer in
        the documents ``principal`` may read. Raises ``PolicyRefusedError`` when nothing may serve
        the request, and ``ProviderError`` subclasses when every allowed model failed.
        """
        request = _request(prompt, system, max_tokens, temperature, tools, options)
        start = time.perf_counter()
        rec, prepared = await self._prepare(request, model=model, principal=principal, retrieve=retrieve,
                                            collection=collection)
        try:
            completion, call = await self._pipeline.complete_recorded(prepared)
        except BaseException as exc:
            if rec is not None:
                rec.status, rec.error = (499, "cancelled by the caller") if isinstance(
                    exc, asyncio.CancelledError) else (_status_of(exc), str(exc))
                await self._write(rec, start)
            raise
        name = call.served or completion.name or prepared.decision.model
        if rec is not None:
            note_answer(rec, name, completion.model, completion.usage, completion.cost_usd, completion.text,
                        log_content=self.log_content)
            await self._write(rec, start)
        return ChatResult(completion, prepared, call, rec.request_id if rec is not None else None,
                          time.perf_counter() - start)

    def stream(self, prompt: Prompt, *, model: str | None = None, system: str | None = None,
               principal: Principal | None = None, retrieve: bool = False, collection: str | None = None,
               max_tokens: int | None = None, temperature: float | None = None,
               tools: Sequence[dict[str, Any]] = (), **options: Any) -> Stream:
        """Like ``chat``, streamed: ``async for chunk in client.stream(...)``, then ``.result``."""
        request = _request(prompt, system, max_tokens, temperature, tools, options)
        return Stream(self, request, {"model": model, "principal": principal, "retrieve": retrieve,
                                      "collection": collection})

    # --- retrieval and embeddings -----------------------------------------------------------------

    async def search(self, query: str, *, principal: Principal | None = None, collection: str | None = None,
                     k: int | None = None) -> list[Hit]:
        """Hybrid search of a collection, only over documents ``principal`` may read."""
        searcher = self._wired.searcher
        return await asyncio.to_thread(searcher.search, query, principal or Principal(),
                                       collection=collection, k=k)

    async def embed(self, texts: str | Sequence[str], *, model: str | None = None) -> list[list[float]]:
        """Embedding vectors (one per text) from ``model`` (default: the RAG embedder)."""
        items = [texts] if isinstance(texts, str) else list(texts)
        name = model or self.settings.config.rag.embedder
        # Local embedders compute on this thread: keep the event loop free.
        embedder = await asyncio.to_thread(self.catalog.embedding_model, name)
        result = await embedder.embed(items)
        return result.vectors

    # --- shared steps -----------------------------------------------------------------------------

    async def _prepare(self, request: ChatRequest, *, model: str | None, principal: Principal | None,
                       retrieve: bool, collection: str | None) -> tuple[RequestRecord | None, Prepared]:
        who = principal or Principal()
        rec: RequestRecord | None = None
        start = time.perf_counter()
        if self.record:
            rid = self._ids.new()
            rec = RequestRecord(request_id=rid, ts=time.time(), endpoint="client", team=who.team, user=who.user,
                                segment=who.segment, requested_model=model, collection=collection)
            request.metadata.update(user=who.user, team=who.team, segment=who.segment, request_id=rid)
            if self.log_content:
                rec.request_messages = messages_for_log(request.messages)
        try:
            # Retrieval embeds and searches; scanning a long prompt takes a while: off the loop.
            prepared = await asyncio.to_thread(self._pipeline.prepare, request, requested=model, principal=who,
                                               collection=collection, retrieve=retrieve)
        except BaseException as exc:
            if rec is not None:
                rec.status, rec.error = _status_of(exc), str(exc)
                await self._write(rec, start)
            raise
        if rec is not None:
            note_route(rec, prepared)
        return rec, prepared

    def _price(self, name: str, usage: Usage) -> float:
        try:
            return self.catalog.chat_model(name).cost(usage)
        except errors.ShoalError:
            return 0.0

    def _open_store(self) -> Store:
        if self._store is None:
            from shoal.wiring import open_store

            self._store = open_store(self.settings)
        return self._store

    async def _write(self, rec: RequestRecord, start: float) -> None:
        rec.latency_ms = (time.perf_counter() - start) * 1000.0

        def write() -> None:
            self.content.apply(rec)
            self._open_store().record_request(rec)

        await asyncio.to_thread(write)

    # --- lifecycle --------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close models, indexes and the store."""
        await self.catalog.aclose()
        self._wired.searcher.close()
        if self._store is not None:
            self._store.close()
            self._store = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _request(prompt: Prompt, system: str | None, max_tokens: int | None, temperature: float | None,
             tools: Sequence[dict[str, Any]], options: dict[str, Any]) -> ChatRequest:
    if isinstance(prompt, ChatRequest):
        return prompt
    if isinstance(prompt, str):
        messages: tuple[Message, ...] = ((Message.system(system),) if system else ()) + (Message.user(prompt),)
    else:
        messages = ((Message.system(system),) if system else ()) + tuple(prompt)
    try:
        return ChatRequest(messages=messages, max_tokens=max_tokens, temperature=temperature, tools=tuple(tools),
                           **options)
    except TypeError as exc:
        raise errors.ConfigError(f"unknown chat option: {exc}",
                                 hint="options are the fields of shoal.ChatRequest (top_p, stop, seed, "
                                      "json_mode, tool_choice, metadata)") from None


class SyncStream:
    """``for chunk in stream``; then ``stream.result``. Ctrl-C stops the answer cleanly."""

    def __init__(self, owner: SyncClient, stream: Stream) -> None:
        self._owner = owner
        self._stream = stream

    @property
    def result(self) -> ChatResult:
        return self._stream.result

    def start(self) -> Prepared:
        """Retrieve, scan and route now (the route is known before the first token)."""
        prepared: Prepared = self._owner._run(self._stream.start())
        return prepared

    def __iter__(self) -> Iterator[Chunk]:
        try:
            while True:
                try:
                    yield self._owner._run(self._stream.__anext__())
                except StopAsyncIteration:
                    return
        except BaseException:
            # Ctrl-C or a break: cancel the model call so nothing of this answer leaks into the next.
            self.close()
            raise

    def close(self) -> None:
        self._owner._run(self._stream.aclose())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SyncClient:
    """The blocking twin of ``Client`` (same methods, same results), for scripts and notebooks.

    Not for use inside a running event loop — use ``Client`` there.
    """

    def __init__(self, settings: Settings | None = None, *, catalog: Catalog | None = None,
                 record: bool = True) -> None:
        self._loop = asyncio.new_event_loop()
        self.client = Client(settings, catalog=catalog, record=record)

    @classmethod
    def from_config(cls, path: str | Path | None = None, *, record: bool = True) -> SyncClient:
        from shoal.config import load_settings

        return cls(load_settings(path), record=record)

    def _run(self, coro: Any) -> Any:
        task = self._loop.create_task(coro)
        try:
            return self._loop.run_until_complete(task)
        except BaseException:
            # Ctrl-C lands here with the task still pending: left alone it would resume on the next
            # call and print the rest of the interrupted answer there. Cancel it and let it unwind
            # (closing the model's stream) before the interrupt goes on.
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    self._loop.run_until_complete(task)
            raise

    def chat(self, prompt: Prompt, **kw: Any) -> ChatResult:
        """See ``Client.chat``."""
        result: ChatResult = self._run(self.client.chat(prompt, **kw))
        return result

    def stream(self, prompt: Prompt, **kw: Any) -> SyncStream:
        """See ``Client.stream``."""
        return SyncStream(self, self.client.stream(prompt, **kw))

    def search(self, query: str, **kw: Any) -> list[Hit]:
        """See ``Client.search``."""
        hits: list[Hit] = self._run(self.client.search(query, **kw))
        return hits

    def embed(self, texts: str | Sequence[str], **kw: Any) -> list[list[float]]:
        """See ``Client.embed``."""
        vectors: list[list[float]] = self._run(self.client.embed(texts, **kw))
        return vectors

    @property
    def catalog(self) -> Catalog:
        return self.client.catalog

    def close(self) -> None:
        if not self._loop.is_closed():
            self._run(self.client.aclose())
            self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
