"""The fast HTTP/1.1 client: pooling, body framings, timeouts, failures, TLS and the httpx fallback.

Each test runs a small raw HTTP server on 127.0.0.1 in the test's event loop, so the exact bytes
(framing, closes, stalls) are under the test's control.
"""

from __future__ import annotations

import asyncio
import gzip
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from shoal import errors
from shoal.models import fasthttp
from shoal.models.fasthttp import FastClient
from shoal.models.http import HTTPTransport, HttpxClient, make_client
from shoal.models.openai_compat import parse_error

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    def __init__(self, port: int) -> None:
        self.port = port
        self.connections = 0
        self.requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/x"


@asynccontextmanager
async def serve(handler: Callable[[Server, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
                tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    state = Server(0)

    tasks: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(state, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError, ssl.SSLError):
            pass  # the client hung up, or the test is over
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=tls)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + (await reader.readexactly(length) if length else b"")


def reply(body: bytes, *extra: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%s\r\n%s" % (
        len(body), b"".join(h + b"\r\n" for h in extra), body)


async def keepalive(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        await read_request(reader)
        state.requests += 1
        writer.write(reply(b'{"n": %d}' % state.requests))
        await writer.drain()


async def test_sequential_requests_reuse_one_connection() -> None:
    async with serve(keepalive) as server:
        client = FastClient(timeout=5)
        bodies = [(await client.request("POST", server.url, b"{}", content_type="application/json")).content
                  for _ in range(5)]
        await client.aclose()
    assert bodies == [b'{"n": %d}' % i for i in range(1, 6)]
    assert server.connections == 1


async def test_the_pool_is_bounded_and_queued_requests_all_complete() -> None:
    async def slow(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            await asyncio.sleep(0.05)
            writer.write(reply(b"ok"))
            await writer.drain()

    async with serve(slow) as server:
        client = FastClient(timeout=5, max_connections=2)
        results = await asyncio.gather(*(client.request("GET", server.url) for _ in range(8)))
        await client.aclose()
    assert [r.content for r in results] == [b"ok"] * 8
    assert server.connections == 2


async def test_waiting_for_a_connection_times_out_as_pool_timeout() -> None:
    async def headers_then_stall(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n")
        await writer.drain()
        await reader.read()  # until the client hangs up

    async with serve(headers_then_stall) as server:
        client = FastClient(timeout=0.3, max_connections=1)
        async with client.stream("GET", server.url) as held:  # holds the only connection, unread
            assert held.status == 200
            with pytest.raises(fasthttp.Timeout) as info:
                await client.request("GET", server.url)
            assert info.value.phase == "pool"
        await client.aclose()


async def test_read_timeout_is_silence_not_a_slow_trickle() -> None:
    async def trickle(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for _ in range(6):  # 0.6 s in total, never 0.3 s of silence
            writer.write(b"1\r\na\r\n")
            await writer.drain()
            await asyncio.sleep(0.1)
        writer.write(b"0\r\n\r\n")
        await read_request(reader)  # the second request: silence
        await reader.read()

    async with serve(trickle) as server:
        client = FastClient(timeout=0.3)
        assert (await client.request("GET", server.url)).content == b"a" * 6
        with pytest.raises(fasthttp.Timeout) as info:
            await client.request("GET", server.url)
        assert info.value.phase == "read"
        await client.aclose()


async def test_body_until_close_and_gzip_are_read() -> None:
    packed = gzip.compress(b'{"answer": "zipped"}')

    async def handler(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        if state.connections == 1:
            writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end")
            await writer.drain()
            return  # closing delimits the body
        writer.write(reply(packed, b"content-encoding: gzip"))
        await writer.drain()

    async with serve(handler) as server:
        client = FastClient(timeout=5)
        assert (await client.request("GET", server.url)).content == b"until the end"
        assert (await client.request("GET", server.url)).content == b'{"answer": "zipped"}'
        await client.aclose()
    assert server.connections == 2  # the closed connection was not reused


async def test_idle_connection_closed_by_the_server_is_replaced() -> None:
    async def one_per_connection(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(reply(b"ok"))  # keep-alive advertised, but the server then closes (idle timeout)
        await writer.drain()

    async with serve(one_per_connection) as server:
        client = FastClient(timeout=5)
        for _ in range(3):
            assert (await client.request("GET", server.url)).content == b"ok"
            await asyncio.sleep(0.05)  # the close reaches the client before the next request
        await client.aclose()
    assert server.connections == 3


async def test_cancelled_request_closes_its_connection() -> None:
    async def handler(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            state.requests += 1
            if state.requests == 1:
                await asyncio.sleep(0.5)  # the answer to the cancelled request arrives late
            writer.write(reply(b"#%d" % state.requests))
            await writer.drain()

    async with serve(handler) as server:
        client = FastClient(timeout=5)
        task = asyncio.ensure_future(client.request("GET", server.url))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # A new connection: the late answer to #1 must never be read as the answer to #2.
        assert (await client.request("GET", server.url)).content == b"#2"
        await client.aclose()
    assert server.connections == 2


async def test_stream_reads_a_large_body_with_back_pressure_intact() -> None:
    payload = bytes(range(256)) * 8192  # 2 MiB, well over the pause threshold

    async def handler(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(payload) + payload)
        await writer.drain()
        await read_request(reader)
        writer.write(reply(b"next"))
        await writer.drain()

    async with serve(handler) as server:
        client = FastClient(timeout=5)
        got = bytearray()
        async with client.stream("GET", server.url) as response:
            assert response.status == 200
            async for chunk in response.aiter_bytes():
                got += chunk
                await asyncio.sleep(0)  # a slow consumer
        assert bytes(got) == payload
        assert (await client.request("GET", server.url)).content == b"next"
        await client.aclose()
    assert server.connections == 1  # fully read: the connection went back to the pool


async def test_a_client_survives_a_new_event_loop() -> None:
    async with serve(keepalive) as server:
        client = FastClient(timeout=5)
        assert (await client.request("GET", server.url)).status == 200

        def in_another_loop() -> int:
            return asyncio.run(client.request("GET", server.url)).status

        # A sync wrapper (asyncio.run per call) uses the client from another loop and thread.
        assert await asyncio.to_thread(in_another_loop) == 200
        await client.aclose()


async def test_header_values_with_line_breaks_are_refused() -> None:
    client = FastClient(timeout=1, headers={"x-api-key": "abc\r\nx-evil: 1"})
    with pytest.raises(fasthttp.HTTPError, match="line break"):
        await client.request("GET", "http://127.0.0.1:9/")


def transport_for(url: str, timeout_s: float = 2.0) -> HTTPTransport:
    return HTTPTransport(provider="openai", model="m", base_url=url, headers={}, timeout_s=timeout_s,
                         parse_error=parse_error)


async def test_connection_dropped_before_the_answer_is_unavailable() -> None:
    async def drop(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    async with serve(drop) as server:
        transport = transport_for(f"http://127.0.0.1:{server.port}/v1")
        with pytest.raises(errors.UnavailableError, match="connection was dropped"):
            await transport.post_json("chat/completions", {"model": "m"})
        await transport.aclose()


async def test_garbage_instead_of_http_is_unavailable() -> None:
    async def garbage(state: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()
        await reader.read()

    async with serve(garbage) as server:
        transport = transport_for(f"http://127.0.0.1:{server.port}/v1")
        with pytest.raises(errors.UnavailableError, match="malformed HTTP response"):
            await transport.post_json("chat/completions", {"model": "m"})
        await transport.aclose()


def test_client_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    assert isinstance(make_client("https://api.openai.com/v1", timeout_s=1, headers={}), HttpxClient)
    assert isinstance(make_client("http://127.0.0.1:8000/v1", timeout_s=1, headers={}), FastClient)
    monkeypatch.setenv("NO_PROXY", "api.openai.com")
    assert isinstance(make_client("https://api.openai.com/v1", timeout_s=1, headers={}), FastClient)
    assert isinstance(make_client("http://user:pw@127.0.0.1:8000/v1", timeout_s=1, headers={}), HttpxClient)


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    d: Path = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(d / "key.pem"),
                    "-out", str(d / "cert.pem")], check=True, capture_output=True)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(d / "cert.pem", d / "key.pem")
    client = ssl.create_default_context(cafile=str(d / "cert.pem"))
    return server, client


async def test_https_verifies_the_server(tls_pair: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls_pair
    async with serve(keepalive, tls=server_ctx) as server:
        url = f"https://127.0.0.1:{server.port}/v1/x"
        client = FastClient(timeout=5, ssl_context=client_ctx)
        assert (await client.request("GET", url)).content == b'{"n": 1}'
        await client.aclose()
        untrusted = FastClient(timeout=5)  # certifi's bundle does not know the test certificate
        with pytest.raises(fasthttp.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await untrusted.request("GET", url)
        await untrusted.aclose()
