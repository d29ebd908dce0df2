"""Pytest plugin loaded by Shoal's test suite (``-p shoal.testing_plugin``).

Turns the network switch off for the whole session and blocks raw socket connections to
non-loopback addresses, so no test — and no SDK a test drives — can reach the internet.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from shoal.models.network import ENV_VAR, is_local_host

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _address_host(address: Any) -> str | None:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return None  # AF_UNIX paths are local by definition


def _guarded(original: Any) -> Any:
    def connect(self: socket.socket, address: Any) -> Any:
        host = _address_host(address)
        if host is not None and self.family in (socket.AF_INET, socket.AF_INET6) and not is_local_host(host):
            raise ConnectionRefusedError(f"network access to {host} is blocked in tests ({ENV_VAR}=0)")
        return original(self, address)
    return connect


def pytest_configure(config: Any) -> None:
    os.environ[ENV_VAR] = "0"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # `shoal search` would start a warm daemon per test project; tests search in-process.
    os.environ.setdefault("SHOAL_SEARCH_DAEMON", "0")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    socket.socket.connect = _guarded(_original_connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded(_original_connect_ex)  # type: ignore[method-assign]


def pytest_unconfigure(config: Any) -> None:
    socket.socket.connect = _original_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _original_connect_ex  # type: ignore[method-assign]
