"""A loopback TCP proxy that can refuse, hang and cut: put it in front of PostgreSQL or Redis.

Modes (switch at any time with ``set_mode``):

- ``pass``: forwards both ways;
- ``refuse``: new connections are reset at once and open ones are cut (the server is down);
- ``hang``: new connections are accepted but never answered, open ones stop forwarding (a server
  or network that stops answering without closing anything);
- ``cut()``: resets every open connection once (an admin shutdown, a failover), then passes.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
from typing import Literal

Mode = Literal["pass", "refuse", "hang"]


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class FaultProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode: Mode = "pass"
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port: int = self._listener.getsockname()[1]
        self._pairs: set[tuple[socket.socket, socket.socket | None]] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.accepted = 0
        threading.Thread(target=self._accept, name="fault-proxy", daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        if mode == "refuse":
            self.cut()

    def cut(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for client, upstream in pairs:
            _reset(client)
            if upstream is not None:
                _reset(upstream)

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.mode == "refuse":
                _reset(client)
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        pair: tuple[socket.socket, socket.socket | None] = (client, None)
        with self._lock:
            self._pairs.add(pair)
        # A connection made while hanging waits (answered by nobody) until the mode changes.
        while self.mode == "hang" and pair in self._pairs and not self._closed:
            threading.Event().wait(0.05)
        with self._lock:
            if pair not in self._pairs:
                return
        if self.mode == "refuse":
            self._drop(pair)
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            self._drop(pair)
            return
        with self._lock:
            if pair not in self._pairs:
                _reset(upstream)
                return
            self._pairs.discard(pair)
            pair = (client, upstream)
            self._pairs.add(pair)
        self._pump(pair, client, upstream)

    def _drop(self, pair: tuple[socket.socket, socket.socket | None]) -> None:
        with self._lock:
            self._pairs.discard(pair)
        _reset(pair[0])
        if pair[1] is not None:
            _reset(pair[1])

    def _pump(self, pair: tuple[socket.socket, socket.socket | None], client: socket.socket,
              upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        while pair in self._pairs and not self._closed:
            if self.mode == "hang":  # hold the bytes where they are
                threading.Event().wait(0.05)
                continue
            try:
                readable, _, _ = select.select(list(peers), [], [], 0.05)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        self._drop(pair)
                        return
                    peers[sock].sendall(data)
            except (OSError, ValueError):
                self._drop(pair)
                return
