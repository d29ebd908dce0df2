"""HTTP/1.1 connections and per-origin pools for ``shoal.models.fasthttp`` (asyncio + httptools).

``Conn`` is one keep-alive connection, an ``asyncio.Protocol`` fed by the ``httptools`` response
parser; it carries one request at a time and tells its consumer about headers, body bytes and
the end of the message through a single future. ``Origin`` pools the connections of one
(scheme, host, port). The failure types live here so both modules can raise them.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

KEEPALIVE_EXPIRY_S = 4.0  # below the usual 5 s idle timeout of uvicorn-based servers (vLLM)
_HIGH_WATER = 256 * 1024  # buffered streamed bytes before reading from the socket pauses


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


class Decoder:
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


class Conn(asyncio.Protocol):
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


class Origin:
    """The pool of one (scheme, host, port): idle connections, a cap on open ones, a wait queue."""

    def __init__(self, loop: asyncio.AbstractEventLoop, host: str, port: int, tls: ssl.SSLContext | None,
                 max_connections: int) -> None:
        self.loop = loop
        self.host = host
        self.port = port
        self.tls = tls
        self.max_connections = max_connections
        self.idle: list[Conn] = []
        self.open = 0
        self.waiters: deque[asyncio.Future[Conn | None]] = deque()
        self.closed = False

    async def acquire(self, timeout: float) -> Conn:
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

    async def _wait_for_slot(self, timeout: float) -> Conn | None:
        waiter: asyncio.Future[Conn | None] = self.loop.create_future()
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

    async def _connect(self, timeout: float) -> Conn:
        conn = Conn(self.loop)
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

    def release(self, conn: Conn, *, reuse: bool) -> None:
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

    def _discard(self, conn: Conn) -> None:
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


