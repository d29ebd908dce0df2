"""A small HTTP/1.1 keep-alive client for the model adapters: asyncio protocols + ``httptools``.

Why not httpx or aiohttp: every model call through the gateway pays its client's overhead, and
the gateway's throughput target is 20x LiteLLM's. Measured with ``bench/http_clients.py`` on the
two-core development box (load ~5 from other work) against an nginx canned-completion mock, one
process on uvloop, POSTing the same small chat body:

    client                       1 caller      32 concurrent callers
    httpx.AsyncClient 0.28       ~730 req/s    ~390 req/s (its pool degrades under concurrency)
    aiohttp 3.14 ClientSession   ~4.2k req/s   ~5.4k req/s
    this module                  ~11.6k req/s  ~16.8k req/s

aiohttp would be simpler to adopt but is a second HTTP stack (and server framework) to carry and
about a third as fast here; this module depends only on ``httptools`` (installed with
``uvicorn[standard]``, the parser uvicorn uses for the server side) and keeps the per-request
path to one ``write``, one parser feed and one future.

What it does: a bounded connection pool per (scheme, host, port) that reuses idle connections
(most recently used first, dropped after ``h1.KEEPALIVE_EXPIRY_S`` idle so a server's own idle
timeout never races a request), Content-Length, chunked and read-until-close bodies, gzip and
deflate response bodies, streamed responses with back-pressure (SSE), TLS through ``ssl``
(certifi's bundle, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``), and timeouts: connect, waiting for a
pool slot, and read (no byte for ``timeout`` seconds; a slow trickle is not a timeout, as in
httpx). Failures are the ``HTTPError`` subclasses below; ``shoal.models.http`` maps them to
``shoal.errors``.

What it leaves to httpx (``shoal.models.http`` picks): proxies, URLs with credentials, HTTP/2,
redirects (never followed by the adapters anyway), and installations without ``httptools``.

Requests are never retried here (a POST to a model is not idempotent; retries are the routing
layer's decision). A connection that saw a cancellation, an error or an unread body is closed,
never reused. Connections and pools are in ``shoal.models.h1``; this module is the client API.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from shoal.models.h1 import (
    Conn,
    ConnectError,
    ConnectionDropped,
    Decoder,
    HTTPError,
    Origin,
    ProtocolError,
    Response,
    Timeout,
    UnsupportedURL,
)

# httptools comes with the gateway extra (uvicorn[standard]); without it shoal.models.http uses httpx.
AVAILABLE = importlib.util.find_spec("httptools") is not None
MAX_CONNECTIONS = 256  # per origin; more concurrent calls wait for a free connection
_HEAD_CACHE_MAX = 256
_USER_AGENT = "shoal"

__all__ = ["AVAILABLE", "ConnectError", "ConnectionDropped", "FastClient", "HTTPError", "ProtocolError", "Response",
           "StreamedResponse", "Timeout", "UnsupportedURL", "default_ssl_context"]


def default_ssl_context() -> ssl.SSLContext:
    """Verifying TLS context: ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set, else certifi's bundle."""
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if not cafile and not capath:
        try:
            import certifi

            cafile = certifi.where()
        except ImportError:  # pragma: no cover - certifi comes with httpx
            cafile = None
    ctx = ssl.create_default_context(cafile=cafile, capath=capath)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx

class StreamedResponse:
    """A response whose body is read as it arrives (``aiter_bytes``) or at once (``aread``)."""

    def __init__(self, conn: Conn, timeout: float) -> None:
        self._conn = conn
        self._timeout = timeout
        self.status = conn.status
        self.headers: Mapping[str, str] = conn.headers
        encoding = conn.headers.get("content-encoding", "").strip().lower()
        self._decoder = Decoder(encoding) if encoding in ("gzip", "deflate") else None

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        conn = self._conn
        while True:
            if conn.chunks:
                data = conn.take_chunks()
                if self._decoder is not None:
                    data = self._decoder.feed(data)
                if data:
                    yield data
            elif conn.complete:
                if self._decoder is not None:
                    tail = self._decoder.flush()
                    if tail:
                        yield tail
                return
            else:
                await conn.wait(self._timeout)

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_bytes()])


class _Target:
    """What one URL resolves to: its pool key and the first line plus Host header of a request."""

    __slots__ = ("head", "key")

    def __init__(self, key: tuple[str, str, int], head: bytes) -> None:
        self.key = key
        self.head = head


def _header_block(headers: Mapping[str, str]) -> bytes:
    lines = []
    for name, value in headers.items():
        if any(c in name or c in value for c in "\r\n\0") or not name:
            raise HTTPError(f"header {name!r} contains a line break or NUL; fix its value in the configuration")
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines).encode("latin-1")


class FastClient:
    """Keep-alive HTTP/1.1 client. Bound to the event loop of its first request (a new loop — e.g.
    one ``asyncio.run`` per sync call — gets fresh connections)."""

    def __init__(self, *, timeout: float, headers: Mapping[str, str] | None = None,
                 max_connections: int = MAX_CONNECTIONS, ssl_context: ssl.SSLContext | None = None) -> None:
        self.timeout = timeout
        self.max_connections = max_connections
        base = {"user-agent": _USER_AGENT, "accept": "*/*"}
        base.update({k.lower(): str(v) for k, v in (headers or {}).items()})
        self._headers = base
        self._ssl = ssl_context
        self._targets: dict[tuple[str, str, tuple[tuple[str, str], ...]], _Target] = {}
        self._origins: dict[tuple[str, str, int], Origin] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.is_closed = False

    # --- plumbing --------------------------------------------------------------------------------

    def _target(self, method: str, url: str, extra: tuple[tuple[str, str], ...]) -> _Target:
        cache_key = (method, url, extra)
        target = self._targets.get(cache_key)
        if target is not None:
            return target
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise UnsupportedURL(f"{url!r} is not an http:// or https:// URL with a host")
        if parts.username is not None or parts.password is not None:
            raise UnsupportedURL("URLs with credentials are not supported here; send a header instead")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:
            raise UnsupportedURL(f"{url!r}: {exc}") from None
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = {"host": parts.netloc, **self._headers, **{k.lower(): v for k, v in extra}}
        head = f"{method} {path} HTTP/1.1\r\n".encode("ascii", errors="strict") + _header_block(headers)
        if len(self._targets) >= _HEAD_CACHE_MAX:
            self._targets.clear()
        target = self._targets[cache_key] = _Target((scheme, parts.hostname, port), head)
        return target

    def _origin(self, key: tuple[str, str, int]) -> Origin:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Connections belong to the loop that opened them; a new loop starts over.
            self._origins = {}
            self._loop = loop
        origin = self._origins.get(key)
        if origin is None:
            tls = None
            if key[0] == "https":
                if self._ssl is None:
                    self._ssl = default_ssl_context()
                tls = self._ssl
            origin = self._origins[key] = Origin(loop, key[1], key[2], tls, self.max_connections)
        return origin

    @staticmethod
    def _message(head: bytes, body: bytes, content_type: str | None) -> bytes:
        ctype = f"content-type: {content_type}\r\n".encode() if content_type else b""
        return b"".join((head, ctype, b"content-length: ", str(len(body)).encode(), b"\r\n\r\n", body))

    # --- requests --------------------------------------------------------------------------------

    async def request(self, method: str, url: str, body: bytes = b"", *, content_type: str | None = None,
                      headers: Mapping[str, str] | None = None) -> Response:
        """Send one request and read the whole response."""
        target = self._target(method, url, tuple(headers.items()) if headers else ())
        origin = self._origin(target.key)
        conn = await origin.acquire(self.timeout)
        reuse = False
        try:
            conn.send(self._message(target.head, body, content_type), streaming=False)
            while not conn.complete:
                await conn.wait(self.timeout)
            content = conn.take_chunks() if conn.chunks else b""
            encoding = conn.headers.get("content-encoding")
            if encoding:
                encoding = encoding.strip().lower()
                if encoding in ("gzip", "deflate"):
                    decoder = Decoder(encoding)
                    content = decoder.feed(content) + decoder.flush()
            reuse = True
            return Response(conn.status, conn.headers, content)
        finally:
            origin.release(conn, reuse=reuse)

    @asynccontextmanager
    async def stream(self, method: str, url: str, body: bytes = b"", *, content_type: str | None = None,
                     headers: Mapping[str, str] | None = None) -> AsyncIterator[StreamedResponse]:
        """Send one request; yields once the status and headers are in, the body still to read."""
        target = self._target(method, url, tuple(headers.items()) if headers else ())
        origin = self._origin(target.key)
        conn = await origin.acquire(self.timeout)
        reuse = False
        try:
            conn.send(self._message(target.head, body, content_type), streaming=True)
            while not conn.headers_done:
                await conn.wait(self.timeout)
            yield StreamedResponse(conn, self.timeout)
            reuse = True  # reusable only if the body was read to its end (checked by release)
        finally:
            origin.release(conn, reuse=reuse)

    async def aclose(self) -> None:
        """Close idle connections; ones in use close when their response is done. A closed client
        still works (it opens new connections); ``is_closed`` tells owners to build a new one."""
        try:
            same_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            same_loop = False
        if same_loop:  # connections of another (possibly closed) loop cannot be closed from here
            for origin in self._origins.values():
                origin.close()
        self._origins = {}
        self.is_closed = True
