"""The gateway's ASGI application: a routing table, lifespan, health, models, metrics, CORS."""

from __future__ import annotations

import asyncio
import gc
import hmac
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from shoal.gateway.admin import AdminApi, ReadApi
from shoal.gateway.auth import Caller
from shoal.gateway.chat import ANTHROPIC, COMPLETIONS, OPENAI, RESPONSES, ChatHandler
from shoal.gateway.count_tokens import handle_count_tokens
from shoal.gateway.dashboard import DashboardApi, send_asset
from shoal.gateway.embeddings import handle_embeddings
from shoal.gateway.errors import to_api_error
from shoal.gateway.http import (
    ApiError,
    ClientGone,
    Receive,
    Scope,
    Send,
    header,
    parse_json,
    read_body,
    send_error,
    send_json,
)
from shoal.gateway.openapi import openapi_document
from shoal.gateway.state import GatewayState
from shoal.gateway.storecall import StoreGuard
from shoal.store.keys_sql import hash_key

log = logging.getLogger("shoal.gateway")

READYZ_TIMEOUT_S = 0.5  # /readyz answers within a second even when the store hangs
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]
JsonHandler = Callable[[Caller, Scope, dict[str, Any]], Awaitable[Any]]


def tune_interpreter() -> None:
    """Process-wide settings for a gateway process (called once it has started; tail latency).

    Everything built so far (models, privacy data, config) lives as long as the process: freezing
    it keeps full collections from re-scanning it. The request log's writer thread does Python
    work between database calls; a 1 ms switch interval (default 5 ms) bounds how long a request
    on the event loop can wait for the GIL behind it.
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(0.001)


class GatewayApp:
    """ASGI callable. Construct with ``shoal.gateway.server.build_app`` (or directly, for tests)."""

    def __init__(self, state: GatewayState, *, tune_process: bool = False, metrics_key: str | None = None) -> None:
        self.state = state
        # /metrics shows teams, models and traffic: the admin key or this scrape-only key reads it.
        self._metrics_hash = hash_key(metrics_key) if metrics_key else None
        # True when this app owns the process (``shoal serve``): startup then tunes the interpreter.
        self.tune_process = tune_process
        self.chat = ChatHandler(state)
        read, admin = ReadApi(state), AdminApi(state)
        dash = DashboardApi(state, state.dashboard)
        self._models: bytes | None = None
        self.ready = False
        self.routes: dict[tuple[str, str], Handler] = {
            ("POST", "/v1/chat/completions"): lambda s, r, w: self.chat.handle(s, r, w, OPENAI),
            ("POST", "/v1/messages"): lambda s, r, w: self.chat.handle(s, r, w, ANTHROPIC),
            ("POST", "/v1/completions"): lambda s, r, w: self.chat.handle(s, r, w, COMPLETIONS),
            ("POST", "/v1/responses"): lambda s, r, w: self.chat.handle(s, r, w, RESPONSES),
            ("POST", "/v1/messages/count_tokens"): lambda s, r, w: handle_count_tokens(state, s, r, w),
            ("POST", "/v1/embeddings"): lambda s, r, w: handle_embeddings(state, s, r, w),
            ("GET", "/v1/models"): self._list_models,
            ("GET", "/healthz"): self._healthz,
            ("GET", "/readyz"): self._readyz,
            ("GET", "/metrics"): self._metrics,
            ("GET", "/openapi.json"): self._openapi,
            ("POST", "/v1/feedback"): self._json(lambda c, s, d: read.feedback_add(c, d), body=True),
            ("GET", "/v1/feedback"): self._json(lambda c, s, d: read.feedback_list(c, s)),
            ("GET", "/v1/requests"): self._json(lambda c, s, d: read.requests(c, s)),
            ("GET", "/v1/usage"): self._json(lambda c, s, d: read.usage(c, s)),
            ("POST", "/admin/keys"): self._json(lambda c, s, d: admin.create_key(c, d), body=True),
            ("GET", "/admin/keys"): self._json(lambda c, s, d: admin.list_keys(c, s)),
            ("GET", "/dashboard"): self._asset(""),
            ("GET", "/dashboard/"): self._asset(""),
        }
        # The dashboard's JSON API (documented in /openapi.json): one GET per page.
        for page in ("whoami", "overview", "spend", "routing", "privacy", "requests", "evals", "feedback", "models",
                     "tco"):
            self.routes[("GET", f"/v1/dashboard/{page}")] = self._page(getattr(dash, page))
        # path prefix → (method → handler taking the rest of the path)
        self.prefixed: dict[str, dict[str, Callable[[str], Handler]]] = {
            "/v1/requests/": {"GET": lambda rest: self._json(lambda c, s, d: read.request(c, rest))},
            "/admin/keys/": {"DELETE": lambda rest: self._json(lambda c, s, d: admin.revoke_key(c, rest))},
            "/v1/dashboard/requests/": {"GET": lambda rest: self._json(lambda c, s, d: dash.request(c, rest))},
            "/dashboard/": {"GET": self._asset},
        }
        self._paths = {path for _, path in self.routes}
        self._cors = tuple(state.config.cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            if self._cors:
                await self._with_cors(scope, receive, send)
                return
            await self._dispatch(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        handler = self.routes.get((method, path))
        if handler is None:
            handler = self._prefixed(method, path)
        if handler is None:
            status, message = (405, f"{method} is not allowed on {path}") if path in self._paths else (
                404, f"no endpoint {path}; see /openapi.json")
            await send_error(send, ApiError(status, message, code="not_found" if status == 404 else
                                            "method_not_allowed"))
            return
        await handler(scope, receive, send)

    def _prefixed(self, method: str, path: str) -> Handler | None:
        for prefix, methods in self.prefixed.items():
            if path.startswith(prefix) and len(path) > len(prefix) and "/" not in path[len(prefix):]:
                make = methods.get(method)
                return make(path[len(prefix):]) if make is not None else None
        return None

    def _json(self, fn: JsonHandler, *, body: bool = False) -> Handler:
        async def handler(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                caller = await self.state.auth.authenticate(scope)
                data = parse_json(await read_body(scope, receive, self.state.config.max_body_bytes)) if body else {}
                result = await fn(caller, scope, data)
                await send_json(send, 200, result)
            except ClientGone:
                return
            except Exception as exc:
                err = to_api_error(exc)
                if err.code == "internal_error":
                    log.exception("%s %s failed", scope["method"], scope["path"])
                await send_error(send, err)
        return handler

    def _page(self, fn: Callable[[Caller, Scope], Awaitable[Any]]) -> Handler:
        return self._json(lambda c, s, d: fn(c, s))

    def _asset(self, rest: str) -> Handler:
        async def handler(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                await send_asset(send, rest)
            except ApiError as err:
                await send_error(send, err)
        return handler

    # --- simple endpoints -------------------------------------------------------------------------

    async def _healthz(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 200, {"status": "ok"})

    async def _readyz(self, scope: Scope, receive: Receive, send: Send) -> None:
        """200 when the store (and Redis, if used) answer; 503 otherwise — always within ~1 s."""
        store = self.state.store
        checks = [store.ping, store.counters.ping][:len(self.state.guards)]

        async def probe(guard: StoreGuard, ping: Callable[[], None]) -> bool:
            try:
                await guard.call(ping, timeout=READYZ_TIMEOUT_S)
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                log.debug("readyz: %s: %s", guard.name, exc)
                return False
            return True

        results = await asyncio.gather(*(probe(g, c) for g, c in zip(self.state.guards, checks, strict=True)))
        db_ok = bool(results[0]) if results else True
        counters_ok = bool(results[1]) if len(results) > 1 else db_ok
        backlog = store.writer.backlog if store.writer is not None else 0
        ok = db_ok and counters_ok and self.ready
        await send_json(send, 200 if ok else 503, {"status": "ready" if ok else "not ready", "store": db_ok,
                                                   "counters": counters_ok, "request_log_backlog": backlog})

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.state.config.metrics:
            await send_error(send, ApiError(404, "metrics are disabled on this gateway", code="not_found"))
            return
        try:
            await self._metrics_reader(scope)
        except Exception as exc:  # noqa: BLE001 - every refusal is answered, none raised
            await send_error(send, to_api_error(exc))
            return
        store = self.state.store
        self.state.metrics.gauges["shoal_request_log_backlog"] = float(store.writer.backlog if store.writer else 0)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8")]})
        await send({"type": "http.response.body", "body": self.state.metrics.render()})

    async def _metrics_reader(self, scope: Scope) -> None:
        """Admit the scrape key or the admin key; anything else is refused (401/403)."""
        value = header(scope, b"authorization")
        scheme, _, secret = (value or b"").decode("latin-1").partition(" ")
        if self._metrics_hash is not None and scheme.lower() == "bearer" and secret.strip() and hmac.compare_digest(
                hash_key(secret.strip()), self._metrics_hash):
            return
        caller = await self.state.auth.authenticate(scope)
        if not caller.admin:
            raise ApiError(403, "/metrics needs the admin key or the metrics scrape key", type="permission_error",
                           code="admin_required")

    async def _openapi(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_json(send, 200, openapi_document())

    async def _list_models(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.state.auth.authenticate(scope)
        except ApiError as err:
            await send_error(send, err)
            return
        if self._models is None:
            self._models = orjson.dumps({"object": "list", "data": self._model_entries()})
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": self._models})

    def _model_entries(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = [{"id": "auto", "object": "model", "created": 0, "owned_by": "shoal",
                                          "shoal": {"kind": "router"}}]
        try:
            specs = self.state.catalog.specs()
        except Exception as exc:  # noqa: BLE001 - list what can be listed
            log.warning("listing models: %s", exc)
            specs = []
        for spec in specs:
            entries.append({"id": spec.name, "object": "model", "created": 0, "owned_by": spec.provider,
                            "shoal": {"kind": spec.kind, "locality": spec.locality, "model_id": spec.model_id}})
        for name in sorted(self.state.collections):
            entries.append({"id": name, "object": "model", "created": 0, "owned_by": "shoal",
                            "shoal": {"kind": "collection"}})
        return entries

    # --- CORS and lifespan ------------------------------------------------------------------------

    async def _with_cors(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin_raw = next((v for k, v in scope["headers"] if k == b"origin"), None)
        origin = origin_raw.decode("latin-1") if origin_raw else None
        allowed = origin is not None and ("*" in self._cors or origin in self._cors)
        cors = [(b"access-control-allow-origin", origin_raw or b""), (b"vary", b"origin"),
                (b"access-control-expose-headers", (b"x-shoal-request-id, x-shoal-model, x-shoal-route, "
                                                    b"x-shoal-route-reasons, x-shoal-sensitivity, x-shoal-cost-usd"))]
        if scope["method"] == "OPTIONS" and allowed:
            await send({"type": "http.response.start", "status": 204, "headers": [
                *cors, (b"access-control-allow-methods", b"GET, POST, DELETE, OPTIONS"),
                (b"access-control-allow-headers", b"authorization, content-type, x-api-key, anthropic-version"),
                (b"access-control-max-age", b"600")]})
            await send({"type": "http.response.body", "body": b""})
            return
        if not allowed:
            await self._dispatch(scope, receive, send)
            return

        async def send_with_cors(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self._dispatch(scope, receive, send_with_cors)  # type: ignore[arg-type]

    async def startup(self) -> None:
        self.state.limiter.start()
        self.state.auth.start()
        warm_up = getattr(self.state.pipeline.scanner, "warm_up", None)
        if warm_up is not None:  # load the privacy data now, not on the first request
            await asyncio.to_thread(warm_up)
        self.ready = True
        if self.tune_process:
            tune_interpreter()

    async def shutdown(self) -> None:
        """Hand the last counter deltas over, flush the request log, close model clients."""
        self.ready = False
        await self.state.auth.stop()
        await self.state.limiter.stop()
        await asyncio.to_thread(self.state.store.close)
        for guard in self.state.guards:
            guard.close()
        self.state.scan_pool.shutdown(wait=False, cancel_futures=True)
        aclose = getattr(self.state.catalog, "aclose", None)
        if aclose is not None:
            await aclose()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:  # noqa: BLE001 - reported to the server, which exits
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.shutdown()
                finally:
                    await send({"type": "lifespan.shutdown.complete"})
                return
