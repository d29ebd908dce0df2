"""Connection timeouts, with raw sockets: idle, half-sent headers, half-sent and dripped bodies."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

from shoal.gateway.server import build_app
from shoal.gateway.timeouts import ShoalUvicornConfig, server_timeouts
from shoal.store import RequestFilter

from .conftest import ADMIN_KEY, make_settings

TIMEOUTS = {"idle_timeout_s": 0.5, "header_timeout_s": 0.6, "body_timeout_s": 0.8}


@contextmanager
def gateway(tmp_path: Path, **models_options: object) -> Iterator[tuple[int, object]]:
    models = {"cheap": {"provider": "testing", "locality": "external",
                        "options": {"responses": ["Paris."], **models_options}}}
    settings = make_settings(tmp_path, models=models, gateway=TIMEOUTS)
    app = build_app(settings, admin_key=ADMIN_KEY)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = ShoalUvicornConfig(app, timeouts=server_timeouts(settings.config.gateway), loop="asyncio",
                                lifespan="on", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "gateway did not start"
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1], app
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def connect(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    return conn


def read_until_closed(conn: socket.socket, limit_s: float = 5.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes; and how long that took."""
    start = time.monotonic()
    conn.settimeout(limit_s)
    data = b""
    try:
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {limit_s} s (got {data[:200]!r})")
    except ConnectionResetError:
        pass
    return data, time.monotonic() - start


HEALTH = b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"


def test_connection_that_never_sends_is_closed(tmp_path: Path) -> None:
    with gateway(tmp_path) as (port, _):
        conns = [connect(port) for _ in range(20)]
        for conn in conns:
            data, took = read_until_closed(conn)
            assert data == b""
        assert took < 4


def test_idle_keep_alive_after_a_response_is_closed(tmp_path: Path) -> None:
    with gateway(tmp_path) as (port, _):
        conn = connect(port)
        conn.sendall(HEALTH)
        time.sleep(0.2)
        conn.sendall(HEALTH)  # within the idle limit: the connection is reused
        data, _ = read_until_closed(conn)
        assert data.count(b"HTTP/1.1 200") == 2


def test_half_sent_headers_get_408_and_close(tmp_path: Path) -> None:
    with gateway(tmp_path) as (port, _):
        conn = connect(port)
        conn.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        data, took = read_until_closed(conn)
        assert data.startswith(b"HTTP/1.1 408") and b"request_timeout" in data
        assert 0.5 <= took < 4


def test_dripped_headers_cannot_extend_the_deadline(tmp_path: Path) -> None:
    with gateway(tmp_path) as (port, _):
        conn = connect(port)
        start = time.monotonic()
        conn.sendall(b"GET /healthz HTTP/1.1\r\n")
        closed = False
        for i in range(40):  # one header byte every 0.1 s: each well inside any per-read limit
            try:
                conn.sendall(b"x-a: b\r\n"[i % 8:i % 8 + 1])
            except OSError:
                closed = True
                break
            time.sleep(0.1)
            if time.monotonic() - start > 1.5:
                break
        data, _ = read_until_closed(conn)
        assert closed or data.startswith(b"HTTP/1.1 408")
        assert time.monotonic() - start < 4


@pytest.mark.parametrize("drip", [False, True])
def test_half_sent_body_is_closed_and_recorded(tmp_path: Path, drip: bool) -> None:
    body = b'{"model": "cheap", "messages": [{"role": "user", "content": "hello there"}]}'
    with gateway(tmp_path) as (port, app):
        conn = connect(port)
        conn.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                     b"authorization: Bearer " + ADMIN_KEY.encode() + b"\r\n"
                     b"content-length: %d\r\n\r\n" % len(body) + body[:10])
        start = time.monotonic()
        if drip:
            for byte in body[10:25]:
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    break
                time.sleep(0.1)
        data, _ = read_until_closed(conn)
        assert not data.startswith(b"HTTP/1.1 200")
        assert time.monotonic() - start < 4
        store = app.state.store  # type: ignore[attr-defined]
        deadline = time.monotonic() + 5
        while not (rows := store.query_requests(RequestFilter(), 10)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r.status for r in rows] == [499]


def test_slow_answer_is_not_cut_by_the_body_timeout(tmp_path: Path) -> None:
    """No timer runs while the app computes: a model slower than every limit still answers."""
    body = b'{"model": "cheap", "stream": true, "messages": [{"role": "user", "content": "hi"}]}'
    with gateway(tmp_path, delay_s=0.5, responses=["one two three"]) as (port, _):
        conn = connect(port)
        conn.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                     b"authorization: Bearer " + ADMIN_KEY.encode() + b"\r\n"
                     b"content-length: %d\r\n\r\n" % len(body) + body)
        data, took = read_until_closed(conn, limit_s=10)
        assert data.startswith(b"HTTP/1.1 200") and b"three" in data and b"[DONE]" in data
        assert took > 1.0  # three chunks at 0.5 s each outlasted the idle, header and body limits
