"""The chat request path shared by ``/v1/chat/completions`` and ``/v1/messages``.

authenticate → read and validate → budget/rate check → prepare (retrieve, scan, route) → call
(stream or not) → respond → charge and record exactly one request record, whatever happened.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from shoal.content_log import INLINE_CHARS, ContentLog, scanned_clean
from shoal.gateway.anthropic_api import EventWriter, message_body, parse_messages_request
from shoal.gateway.auth import Caller
from shoal.gateway.completions_api import TextChunkWriter, parse_completion, text_completion_body
from shoal.gateway.errors import to_api_error
from shoal.gateway.http import (
    JSON_CT,
    SSE_HEADERS,
    ApiError,
    ClientGone,
    Headers,
    Receive,
    Scope,
    Send,
    content_length,
    latin1,
    parse_json,
    read_body,
    send_error,
)
from shoal.gateway.limits import NO_RESERVATION, Reservation
from shoal.gateway.openai_api import ChunkWriter, ParsedChat, completion_body, parse_chat
from shoal.gateway.reserve import max_cost, prompt_tokens
from shoal.gateway.responses_api import ResponsesEventWriter, parse_responses, response_body
from shoal.gateway.state import GatewayState
from shoal.models.scan_text import request_text
from shoal.models.types import Chunk, Usage
from shoal.pipeline import Prepared
from shoal.privacy.types import Sensitivity
from shoal.recording import (
    RequestIds,
    citation_dict,
    messages_for_log,
    note_answer,
    note_route,
    response_meta,
)
from shoal.routing.types import CallRecord
from shoal.store import RequestRecord

log = logging.getLogger("shoal.gateway")


class StreamWriter(Protocol):
    def chunk(self, chunk: Chunk) -> bytes: ...

    def finish(self, finish_reason: str, prompt_tokens: int, completion_tokens: int,
               meta: dict[str, Any]) -> bytes: ...

    @staticmethod
    def error(status: int, message: str, type: str, code: str | None) -> bytes: ...


@dataclass(frozen=True, slots=True)
class WireFormat:
    endpoint: str
    id_prefix: str
    anthropic: bool
    parse: Callable[[dict[str, Any]], ParsedChat]
    body: Callable[..., bytes]
    writer: Callable[..., StreamWriter]
    # The body and the stream writer also get the parsed request (``parsed=``): the Responses
    # format echoes request fields (instructions, tools...) in its response object.
    echo: bool = False


OPENAI = WireFormat("chat", "chatcmpl-", False, parse_chat, completion_body, ChunkWriter)
ANTHROPIC = WireFormat("messages", "msg_", True, parse_messages_request, message_body, EventWriter)
COMPLETIONS = WireFormat("completions", "cmpl-", False, parse_completion, text_completion_body, TextChunkWriter)
RESPONSES = WireFormat("responses", "resp_", False, parse_responses, response_body, ResponsesEventWriter, echo=True)


class _Flags:
    __slots__ = ("disconnected", "done", "headers_sent", "masked", "prompt_clean", "record", "scanned", "start")

    def __init__(self, start: float = 0.0) -> None:
        self.start = start  # perf_counter() when the request arrived (time to first token)
        self.record: Callable[[], None] | None = None
        self.masked = False  # log_content applied to the record's content
        self.prompt_clean = False  # the privacy scan found no personal data in the request (sizes the masking)
        self.scanned: Sensitivity | None = None  # its result: the request log masks with its spans
        self.done = False
        self.disconnected = False
        self.headers_sent = False


async def _watch(receive: Receive, task: asyncio.Task[Any], flags: _Flags) -> None:
    """Cancel the request (and with it the upstream call) when the client goes away."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            if not flags.done:
                flags.disconnected = True
                task.cancel()
            return


# Kept under this name: the request log's shape is defined once, in shoal.recording.
_messages_for_log = messages_for_log


class ChatHandler:
    def __init__(self, state: GatewayState) -> None:
        self.state = state
        self.new_id = RequestIds().new
        self.content = ContentLog.for_scanner(state.config.log_content, state.pipeline.scanner)

    async def handle(self, scope: Scope, receive: Receive, send: Send, fmt: WireFormat) -> None:
        st = self.state
        start = time.perf_counter()
        rid = self.new_id()
        rec = RequestRecord(request_id=rid, ts=time.time(), endpoint=fmt.endpoint)
        flags = _Flags(start)
        headers: Headers = [(b"x-shoal-request-id", rid.encode())]
        caller: Caller | None = None
        reservation = NO_RESERVATION
        watcher: asyncio.Task[None] | None = None
        recorded = False

        def record() -> None:
            # Called just before the last byte goes out (so a client that reads the answer and at
            # once sends feedback finds the record), or in ``finally`` for every other outcome.
            nonlocal recorded
            if not recorded:
                recorded = True
                if not flags.masked:  # the rare paths (hang-ups); the others masked off the loop
                    flags.masked = True
                    self.content.apply(rec, scanned=flags.scanned)
                rec.latency_ms = (time.perf_counter() - start) * 1000.0
                finish_record(st, rec, reservation)

        flags.record = record
        try:
            caller = await st.auth.authenticate(scope)
            rec.key_id, rec.team = caller.key_id, caller.principal.team
            rec.user, rec.segment = caller.principal.user, caller.principal.segment
            body = await read_body(scope, receive, st.config.max_body_bytes)
            # A large body is parsed and scanned in a worker thread: its size is the user's choice,
            # and nothing user-sized may hold the event loop that serves everyone else.
            large = st.is_large(len(body))
            parsed, logged = await st.off_loop(large, self._parse, fmt, body)
            rec.requested_model, rec.stream = parsed.model, parsed.stream
            if logged is not None:
                rec.request_messages = logged
            task = asyncio.current_task()
            assert task is not None
            watcher = asyncio.get_running_loop().create_task(_watch(receive, task, flags))
            prepared = await self._prepare(parsed, caller, rec, large)
            flags.prompt_clean = self.content.scan_detects and scanned_clean(prepared.sensitivity)
            flags.scanned = prepared.sensitivity
            scopes = st.scopes(caller)
            if scopes:
                reservation = await self._admit(scopes, prepared, rec)
            headers += self._route_headers(prepared)
            if parsed.stream:
                await self._stream(send, prepared, parsed, fmt, rec, headers, flags)
            else:
                completion = await st.pipeline.complete(prepared)
                self._account(rec, completion.name or prepared.decision.model, completion.model,
                              completion.usage, completion.cost_usd, completion.text)
                meta = self._meta(rec, prepared)
                body = fmt.body(completion, response_id=fmt.id_prefix + rid, model=rec.served_model or "",
                                meta=meta, **({"parsed": parsed} if fmt.echo else {}))
                headers += [(b"x-shoal-model", latin1(rec.served_model or "")),
                            (b"x-shoal-cost-usd", f"{rec.cost_usd:.8f}".encode())]
                await self._mask(rec, flags)
                flags.done = True
                await send({"type": "http.response.start", "status": 200,
                            "headers": [JSON_CT, content_length(body), *headers]})
                record()
                await send({"type": "http.response.body", "body": body})
        except asyncio.CancelledError:
            if not flags.disconnected:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            rec.status, rec.error = 499, "client disconnected; upstream call cancelled"
        except ClientGone:
            rec.status, rec.error = 499, "client disconnected while sending the request"
        except Exception as exc:
            err = to_api_error(exc)
            if err.code == "internal_error":
                log.exception("request %s failed", rid)
            rec.status, rec.error = err.status, err.message
            if not flags.headers_sent and not flags.disconnected:
                await self._mask(rec, flags)  # a refused prompt is stored masked too
                flags.done = True
                record()
                try:
                    await send_error(send, err, headers, anthropic=fmt.anthropic)
                except Exception as gone:  # noqa: BLE001 - the client left while we answered
                    log.debug("request %s: could not send the error: %s", rid, gone)
        finally:
            if watcher is not None:
                watcher.cancel()
            record()

    async def _admit(self, scopes: tuple[Any, ...], prepared: Prepared, rec: RequestRecord) -> Reservation:
        """Reserve the request's maximum cost (after routing: the candidates' prices are known)."""
        st = self.state
        prompt = prompt_tokens(prepared.request)
        # n choices: n answers of up to max_tokens each.
        cap = (prepared.request.max_tokens or st.config.reserve_completion_tokens) * prepared.request.n
        usd = max_cost(prompt, cap, (st.spec(n) for n in prepared.decision.candidates), st.config.reserve_usd_cap)
        try:
            return await st.limiter.admit(scopes, tokens=prompt + cap, usd=usd)
        except ApiError:
            rec.served_model = None  # refused before any upstream call
            raise

    def _parse(self, fmt: WireFormat, body: bytes) -> tuple[ParsedChat, list[dict[str, Any]] | None]:
        try:
            parsed = fmt.parse(parse_json(body))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # A shape the validators did not foresee: still the client's mistake, still a 400.
            raise ApiError(400, f"invalid request body: {type(exc).__name__}: {exc}",
                           code="invalid_request") from None
        logged = messages_for_log(parsed.request.messages) if self.content.keeps_content else None
        return parsed, logged

    async def _prepare(self, parsed: ParsedChat, caller: Caller, rec: RequestRecord, large: bool) -> Prepared:
        st = self.state
        # Who asks travels with the request: providers that split traffic (the registry's canary)
        # keep each user on one version.
        principal = caller.principal
        parsed.request.metadata.update(user=principal.user, team=principal.team, segment=principal.segment,
                                       request_id=rec.request_id)
        collection = parsed.model if parsed.model in st.collections else None

        def prepare() -> Prepared:
            # Every field the model will see is scanned: one extraction for every endpoint.
            text = request_text(parsed.request)
            st.check_scan_size(len(text))
            return st.pipeline.prepare(parsed.request, requested=None if collection else parsed.model,
                                       principal=principal, collection=collection, text=text)

        if collection is not None:
            rec.collection = collection
            # Retrieval embeds and searches: keep it off the event loop.
            prepared = await asyncio.to_thread(prepare)
        else:
            prepared = await st.off_loop(large, prepare)
        note_route(rec, prepared)
        return prepared

    @staticmethod
    def _citation(c: Any) -> dict[str, Any]:
        return citation_dict(c)

    @staticmethod
    def _route_headers(prepared: Prepared) -> Headers:
        d = prepared.decision
        return [(b"x-shoal-route", latin1(d.route)), (b"x-shoal-route-reasons", latin1(",".join(d.reasons))),
                (b"x-shoal-sensitivity", latin1(prepared.sensitivity.level))]

    def _account(self, rec: RequestRecord, name: str, model_id: str | None, usage: Usage, cost: float,
                 text: str | None) -> None:
        note_answer(rec, name, model_id, usage, cost, text, log_content=self.content.keeps_content)

    async def _mask(self, rec: RequestRecord, flags: _Flags) -> None:
        """Apply ``log_content`` to the record's prompt and answer: the entity detectors are
        user-sized work, so large content is masked in a worker thread (and assigned here, so a
        cancellation mid-way leaves the record to be masked by ``record``)."""
        if flags.masked:
            return
        size = len(rec.response_text or "") if flags.prompt_clean else self.content.size(rec)
        if size > INLINE_CHARS:
            masked = await asyncio.to_thread(self.content.masked, rec, scanned=flags.scanned)
        else:
            masked = self.content.masked(rec, scanned=flags.scanned)
        rec.request_messages, rec.response_text = masked
        flags.masked = True

    @staticmethod
    def _meta(rec: RequestRecord, prepared: Prepared) -> dict[str, Any]:
        return response_meta(rec, prepared)

    async def _stream(self, send: Send, prepared: Prepared, parsed: ParsedChat, fmt: WireFormat,
                      rec: RequestRecord, headers: Headers, flags: _Flags) -> None:
        st = self.state
        decision = prepared.decision
        # The caller says which configured model served: two candidates may share a model id.
        call = CallRecord()
        agen = st.pipeline.stream_recorded(prepared, call).__aiter__()
        try:
            # Wait for the first chunk before answering 200: failures before any output (including
            # every fallback failing) still get a proper HTTP error status and JSON body.
            try:
                chunk: Chunk | None = await agen.__anext__()
            except StopAsyncIteration:
                chunk = None
            served_id = chunk.model if chunk is not None else None
            name = call.served or st.served_name(decision.candidates, served_id)
            writer = fmt.writer(fmt.id_prefix + rec.request_id, name, parsed.include_usage,
                                **({"parsed": parsed} if fmt.echo else {}))
            await send({"type": "http.response.start", "status": 200,
                        "headers": [*SSE_HEADERS, *headers, (b"x-shoal-model", latin1(name))]})
            flags.headers_sent = True
            parts: list[str] = []
            usage: Usage | None = None
            finish = "stop"
            try:
                while chunk is not None:
                    if rec.ttft_ms is None and (chunk.delta or chunk.tool_calls):
                        rec.ttft_ms = (time.perf_counter() - flags.start) * 1000.0
                    if chunk.delta:
                        parts.append(chunk.delta)
                        rec.completion_tokens += 1  # providers send about one token per chunk
                    if chunk.usage is not None:
                        usage = chunk.usage
                    if chunk.finish_reason:
                        finish = chunk.finish_reason
                    if chunk.model:
                        served_id = chunk.model
                    data = writer.chunk(chunk)
                    if data:
                        await send({"type": "http.response.body", "body": data, "more_body": True})
                    try:
                        chunk = await agen.__anext__()
                    except StopAsyncIteration:
                        chunk = None
            except (asyncio.CancelledError, ClientGone, OSError):
                # The client hung up: charge what was generated so far (the usage event would only
                # have come at the end). The prompt was processed in full.
                partial = usage or Usage(prompt_tokens(prepared.request), rec.completion_tokens)
                spec = st.spec(name)
                self._account(rec, name, served_id, partial, spec.pricing.cost(partial) if spec else 0.0,
                              "".join(parts))
                raise
            except Exception as exc:  # noqa: BLE001 - mid-stream failure: tell the client in-band
                err = to_api_error(exc)
                rec.status, rec.error = err.status, err.message
                self._account(rec, name, served_id, usage or Usage(), 0.0, "".join(parts))
                await self._mask(rec, flags)
                flags.done = True
                if flags.record is not None:
                    flags.record()
                await send({"type": "http.response.body", "body": writer.error(err.status, err.message, err.type,
                                                                                err.code)})
                return
        finally:
            closer = getattr(agen, "aclose", None)
            if closer is not None:
                await closer()  # cancels the upstream call if we stopped early
        name = call.served or st.served_name(decision.candidates, served_id)
        # No usage event (some providers send none): charge the estimate rather than nothing.
        usage = usage or Usage(prompt_tokens(prepared.request), rec.completion_tokens)
        spec = st.spec(name)
        cost = spec.pricing.cost(usage) if spec is not None else 0.0
        self._account(rec, name, served_id, usage, cost, "".join(parts))
        await self._mask(rec, flags)
        flags.done = True
        tail = writer.finish(finish, usage.prompt_tokens, usage.completion_tokens, self._meta(rec, prepared))
        if flags.record is not None:
            flags.record()
        await send({"type": "http.response.body", "more_body": False, "body": tail})


def finish_record(st: GatewayState, rec: RequestRecord, reservation: Reservation) -> None:
    """Settle the reservation, count metrics and hand the one record of this request to the store."""
    st.limiter.settle(reservation, rec.prompt_tokens + rec.completion_tokens, rec.cost_usd)
    if st.config.metrics:
        if rec.status == 429 and rec.error and rec.error.startswith(("rate limit", "budget")):
            st.metrics.inc("shoal_limit_rejections_total", (("team", rec.team or "-"),))
        st.metrics.request(endpoint=rec.endpoint, model=rec.served_model or "-", team=rec.team or "-",
                           status=rec.status, seconds=rec.latency_ms / 1000.0, route=rec.route or "",
                           sensitivity=rec.sensitivity or "", prompt_tokens=rec.prompt_tokens,
                           completion_tokens=rec.completion_tokens, cost_usd=rec.cost_usd)
    try:
        st.store.record_request(rec)
    except Exception:
        log.exception("could not record request %s", rec.request_id)

