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
(most recently used first, dropped after ``KEEPALIVE_EXPIRY_S`` idle so a server's own idle
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
never reused.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import ssl
import zlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

# httptools comes with the gateway extra (uvicorn[standard]); without it shoal.models.http uses httpx.
AVAILABLE = importlib.util.find_spec("httptools") is not None
KEEPALIVE_EXPIRY_S = 4.0  # below the usual 5 s idle timeout of uvicorn-based servers (vLLM)
MAX_CONNECTIONS = 256  # per origin; more concurrent calls wait for a free connection
_HIGH_WATER = 256 * 1024  # buffered streamed bytes before reading from the socket pauses
_HEAD_CACHE_MAX = 256
_USER_AGENT = "shoal"


class HTTPError(Exception):
    """A transport failure: no (complete) HTTP response."""


class ConnectError(HTTPError):
    """The TCP or TLS connection could not be opened."""


class Timeout(HTTPError):
    """Nothing happened for the timeout; ``phase`` is ``connect``, ``read`` or ``pool``."""

    def __init__(self, phase: str) -> None:
        super().__init__(f"{phase} timeout")
        self.phase = phase


class ConnectionDropped(HTTPError):
    """The connection closed (or was reset) before the response was complete."""


class ProtocolError(HTTPError):
    """The server sent something that is not HTTP/1.1."""


class UnsupportedURL(HTTPError):
    """Not an ``http://`` or ``https://`` URL with a host."""


@dataclass(frozen=True, slots=True)
class Response:
    """A whole response. ``headers`` has lower-case names (repeated headers joined by ``, ``)."""

    status: int
    headers: Mapping[str, str]
    content: bytes


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


class _Decoder:
    """Undo ``Content-Encoding: gzip|deflate`` (we never ask for it; some servers send it anyway)."""

    def __init__(self, encoding: str) -> None:
        self._raw_deflate = False
        wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._obj = zlib.decompressobj(wbits)
        self._deflate = encoding == "deflate"
        self._first = True

    def feed(self, data: bytes) -> bytes:
        try:
            return self._obj.decompress(data)
        except zlib.error as exc:
            if self._deflate and self._first:  # "deflate" sent without the zlib header
                self._first = False
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.feed(data)
            raise ProtocolError(f"cannot decode the {'deflate' if self._deflate else 'gzip'} body: {exc}") from None
        finally:
            self._first = False

    def flush(self) -> bytes:
        return self._obj.flush()


class _Conn(asyncio.Protocol):
    """One keep-alive connection; carries one request/response at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        import httptools  # only here: this module must import without it (see AVAILABLE)

        self.parser = httptools.HttpResponseParser(self)
        self._parser_error: type[Exception] = httptools.HttpParserError
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._reads = 0  # data_received calls: a timer that sees it move re-arms instead of firing
        self._paused = False
        self._reset(streaming=False)

    def _reset(self, *, streaming: bool) -> None:
        self.streaming = streaming
        self.status = 0
        self.headers: dict[str, str] = {}
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.exc: HTTPError | None = None
        self.active = False
        self._until_eof = False

    # --- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio subclass

    def data_received(self, data: bytes) -> None:
        self._reads += 1
        if not self.active:  # bytes on an idle connection: not HTTP we can pair with a request
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except self._parser_error as exc:
            self._fail(ProtocolError(f"malformed HTTP response: {exc}"))
            self.close()

    def eof_received(self) -> bool | None:
        return False  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.active and not self.complete:
            if self.headers_done and self._until_eof:
                self.complete = True  # a body delimited by closing the connection
                self._wake()
            else:
                why = f": {exc}" if exc else ""
                when = "in the middle of the response" if self.headers_done else "before responding"
                self._fail(ConnectionDropped(f"the server closed the connection {when}{why}"))

    def pause_writing(self) -> None:  # request bodies are small and buffered by the transport
        pass

    def resume_writing(self) -> None:
        pass

    # --- httptools callbacks ---------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes | None) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1") if value else ""
        old = self.headers.get(key)
        self.headers[key] = text if old is None else f"{old}, {text}"

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if 100 <= self.status < 200:  # an interim response (100 Continue): the real one follows
            self.headers = {}
            return
        self.headers_done = True
        h = self.headers
        self._until_eof = ("content-length" not in h and "chunked" not in h.get("transfer-encoding", "")
                           and self.status not in (204, 304))
        if self.streaming:
            self._wake()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        if self.streaming:
            self.buffered += len(body)
            if self.buffered > _HIGH_WATER and not self._paused and self.transport is not None:
                self._paused = True
                self.transport.pause_reading()
            self._wake()

    def on_message_complete(self) -> None:
        if not self.headers_done:  # end of an interim response
            return
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()  # only valid inside this callback
        self._wake()

    # --- consumer side ---------------------------------------------------------------------------

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, exc: HTTPError) -> None:
        if self.exc is None:
            self.exc = exc
        self._wake()

    def send(self, data: bytes, *, streaming: bool) -> None:
        self._reset(streaming=streaming)
        self.active = True
        assert self.transport is not None
        self.transport.write(data)

    async def wait(self, timeout: float) -> None:
        """Until the next event the consumer cares about, or ``Timeout('read')`` after ``timeout``
        seconds without a single byte from the server."""
        if self.exc is not None:
            raise self.exc
        waiter = self.loop.create_future()
        self._waiter = waiter
        self._timer = self.loop.call_later(timeout, self._on_timer, waiter, self._reads, timeout)
        try:
            await waiter
        finally:
            self._waiter = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if self.exc is not None:
            raise self.exc

    def _on_timer(self, waiter: asyncio.Future[None], reads: int, timeout: float) -> None:
        if waiter.done():
            return
        if self._reads != reads:  # bytes arrived (not yet a whole event): wait again
            self._timer = self.loop.call_later(timeout, self._on_timer, waiter, self._reads, timeout)
            return
        self._fail(Timeout("read"))

    def take_chunks(self) -> bytes:
        data = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        if self._paused and self.transport is not None and not self.closed:
            self._paused = False
            self.transport.resume_reading()
        return data

    @property
    def reusable(self) -> bool:
        return self.complete and self.keep_alive and self.exc is None and not self.closed and not self.chunks

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _Origin:
    """The pool of one (scheme, host, port): idle connections, a cap on open ones, a wait queue."""

    def __init__(self, loop: asyncio.AbstractEventLoop, host: str, port: int, tls: ssl.SSLContext | None,
                 max_connections: int) -> None:
        self.loop = loop
        self.host = host
        self.port = port
        self.tls = tls
        self.max_connections = max_connections
        self.idle: list[_Conn] = []
        self.open = 0
        self.waiters: deque[asyncio.Future[_Conn | None]] = deque()
        self.closed = False

    async def acquire(self, timeout: float) -> _Conn:
        now = self.loop.time()
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed and now - conn.idle_since < KEEPALIVE_EXPIRY_S:
                return conn
            self._discard(conn)
        if self.open >= self.max_connections:
            handed = await self._wait_for_slot(timeout)
            if handed is not None:
                return handed
        self.open += 1
        try:
            return await self._connect(timeout)
        except BaseException:
            self.open -= 1
            self._pass_slot()
            raise

    async def _wait_for_slot(self, timeout: float) -> _Conn | None:
        waiter: asyncio.Future[_Conn | None] = self.loop.create_future()
        self.waiters.append(waiter)
        timer = self.loop.call_later(timeout, _expire, waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed a slot just as we were cancelled
                got = waiter.result()
                if got is not None:
                    self.release(got, reuse=True)
                else:
                    self._pass_slot()
            raise
        except TimeoutError:
            raise Timeout("pool") from None
        finally:
            timer.cancel()

    async def _connect(self, timeout: float) -> _Conn:
        conn = _Conn(self.loop)
        try:
            async with asyncio.timeout(timeout):
                await self.loop.create_connection(
                    lambda: conn, self.host, self.port, ssl=self.tls,
                    server_hostname=self.host if self.tls is not None else None)
        except TimeoutError:
            conn.close()
            raise Timeout("connect") from None
        except (OSError, ssl.SSLError) as exc:
            raise ConnectError(str(exc) or type(exc).__name__) from None
        return conn

    def release(self, conn: _Conn, *, reuse: bool) -> None:
        """Give ``conn`` back: to a waiting request, to the idle list, or closed."""
        if reuse and not self.closed and conn.reusable:
            conn.active = False
            while self.waiters:
                waiter = self.waiters.popleft()
                if not waiter.done():
                    waiter.set_result(conn)
                    return
            conn.idle_since = self.loop.time()
            self.idle.append(conn)
            return
        conn.active = False
        conn.close()
        self.open -= 1
        self._pass_slot()

    def _discard(self, conn: _Conn) -> None:
        conn.close()
        self.open -= 1

    def _pass_slot(self) -> None:
        """A connection closed: let the first waiting request open a new one."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        self.closed = True
        for conn in self.idle:
            self._discard(conn)
        self.idle.clear()


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class StreamedResponse:
    """A response whose body is read as it arrives (``aiter_bytes``) or at once (``aread``)."""

    def __init__(self, conn: _Conn, timeout: float) -> None:
        self._conn = conn
        self._timeout = timeout
        self.status = conn.status
        self.headers: Mapping[str, str] = conn.headers
        encoding = conn.headers.get("content-encoding", "").strip().lower()
        self._decoder = _Decoder(encoding) if encoding in ("gzip", "deflate") else None

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
        self._origins: dict[tuple[str, str, int], _Origin] = {}
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

    def _origin(self, key: tuple[str, str, int]) -> _Origin:
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
            origin = self._origins[key] = _Origin(loop, key[1], key[2], tls, self.max_connections)
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
                    decoder = _Decoder(encoding)
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
