"""Fixtures: a real gateway (uvicorn, in a thread) over a scripted catalog and a temporary store."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from shoal.catalog import Catalog
from shoal.config import Settings, parse_config
from shoal.gateway.app import GatewayApp
from shoal.gateway.server import build_app
from shoal.gateway.timeouts import ServerTimeouts, ShoalUvicornConfig
from shoal.pipeline import Pipeline
from shoal.store import Store
from shoal.wiring import catalog as build_catalog
from tests.servers import FakeServer

ADMIN_KEY = "test-admin-key-0123456789"

DEFAULT_MODELS: dict[str, Any] = {
    "cheap": {"provider": "testing", "locality": "external", "input_price": 1.0, "output_price": 2.0,
              "options": {"responses": ["The capital of France is Paris."]}},
    "onprem": {"provider": "testing", "locality": "self_hosted", "input_price": 0.1, "output_price": 0.1,
               "options": {"echo": True}},
}


def make_settings(tmp_path: Path, *, models: dict[str, Any] | None = None, gateway: dict[str, Any] | None = None,
                  store: dict[str, Any] | None = None, default_model: str = "cheap", **sections: Any) -> Settings:
    data = {"default_model": default_model, "data_dir": str(tmp_path / "data"),
            "models": DEFAULT_MODELS if models is None else models,
            "gateway": gateway or {}, "store": store or {}, **sections}
    return Settings(parse_config(data, "test.yaml"), tmp_path / "shoal.yaml")


@dataclass
class Live:
    url: str
    app: GatewayApp
    settings: Settings
    catalog: Catalog

    @property
    def store(self) -> Store:
        return self.app.state.store

    def create_key(self, **kw: Any) -> str:
        _, secret = self.store.create_key(**kw)
        return secret


def _free_socket() -> socket.socket:
    # IPPROTO_TCP named explicitly: asyncio turns Nagle off (TCP_NODELAY) only on connections whose
    # socket says it is TCP, and an accepted socket inherits the listener's proto (0 otherwise).
    # With Nagle on, a keep-alive response written in two parts waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread; yields its base URL; shuts down (lifespan) on exit."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    # The gateway's own server protocol (connection timeouts at their defaults), as `shoal serve` runs it.
    config = ShoalUvicornConfig(app, timeouts=ServerTimeouts(), loop="asyncio", lifespan="on", log_level="warning",
                                access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("gateway did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@contextmanager
def live_gateway(settings: Settings, *, pipeline: Pipeline | None = None, catalog: Catalog | None = None,
                 admin_key: str = ADMIN_KEY) -> Iterator[Live]:
    catalog = catalog or build_catalog(settings, check=False)
    app = build_app(settings, catalog=catalog, pipeline=pipeline, admin_key=admin_key)
    with serve_app(app) as url:
        yield Live(url=url, app=app, settings=settings, catalog=catalog)


def routed_pipeline(settings: Settings, catalog: Catalog) -> Pipeline:
    """The real request path: privacy scanner, policy engine and fallback caller."""
    from shoal.privacy.scanner import PrivacyScanner
    from shoal.routing.caller import FallbackCaller
    from shoal.routing.policy import PolicyEngine

    return Pipeline(policy=PolicyEngine(settings.config.routing, catalog),
                    caller=FallbackCaller(catalog, settings.config.routing),
                    scanner=PrivacyScanner(settings.config.privacy))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    with live_gateway(settings) as gw:
        yield gw


@pytest.fixture
def upstream_live(fake_server: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """A gateway whose one model is a real OpenAI-wire upstream (the fake server) that can stream,
    return JSON and call tools: what the SDK conformance tests talk to."""
    monkeypatch.setenv("UPSTREAM_KEY", "sk-test-upstream")
    models = {"up": {"provider": "openai", "base_url": f"{fake_server.url}/v1", "model": "gpt-4o-mini",
                     "api_key": "env:UPSTREAM_KEY", "capabilities": ["streaming", "json", "tools"]}}
    with live_gateway(make_settings(tmp_path, models=models, default_model="up")) as live:
        yield live
