"""Idle, half-sent-header and half-sent-body connections against a real ``shoal serve``: how many the
server closes, and when — next to the configured limits (the floor: nothing can close sooner).

    python bench/connection_timeouts.py [--connections 1000] [--wait 90]

Starts ``shoal serve`` on a free port with the default timeouts (idle 15 s, headers 10 s, body 60 s),
opens ``--connections`` connections of each kind, and polls them for ``--wait`` seconds. Prints,
per kind, how many were closed by the server and the median/max time to close. A plain request is
timed before and while the connections are held, to show the server still answers.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

KINDS = {
    "idle": b"",
    "half headers": b"GET /healthz HTTP/1.1\r\nhost: bench\r\n",
    "half body": b"POST /v1/chat/completions HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
                 b"content-length: 1000\r\n\r\n{\"model\": \"cheap\", ",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", type=int, default=1000, help="connections of each kind")
    ap.add_argument("--wait", type=float, default=90.0, help="seconds to watch them")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "shoal.yaml"
        config.write_text(yaml.safe_dump({"data_dir": str(Path(tmp) / "data"), "default_model": "cheap",
                                          "models": {"cheap": {"provider": "testing",
                                                               "options": {"responses": ["ok"]}}},
                                          "gateway": {"auth": False}}))
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
        server = subprocess.Popen([sys.executable, "-m", "shoal.cli", "--config", str(config), "serve",
                                   "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(url + "/healthz", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise SystemExit("shoal serve did not start") from None
                    time.sleep(0.2)
            for _ in range(20):  # warm: the first requests pay for one-off work
                httpx.get(url + "/healthz").raise_for_status()
            start = time.perf_counter()
            httpx.get(url + "/healthz").raise_for_status()
            before_ms = (time.perf_counter() - start) * 1000
            opened: dict[socket.socket, tuple[str, float]] = {}
            for kind, data in KINDS.items():
                for _ in range(args.connections):
                    conn = socket.create_connection(("127.0.0.1", port))
                    if data:
                        conn.sendall(data)
                    conn.setblocking(False)
                    opened[conn] = (kind, time.monotonic())
            start = time.perf_counter()
            httpx.get(url + "/healthz", timeout=10).raise_for_status()
            during_ms = (time.perf_counter() - start) * 1000
            closed: dict[str, list[float]] = {kind: [] for kind in KINDS}
            end = time.monotonic() + args.wait
            while opened and time.monotonic() < end:
                ready, _, _ = select.select(list(opened)[:1000], [], [], 0.2)
                for conn in ready:
                    try:
                        more = conn.recv(4096)
                    except OSError:
                        more = b""
                    if not more:  # (a 408 first, then the close)
                        kind, t0 = opened.pop(conn)
                        closed[kind].append(time.monotonic() - t0)
                        conn.close()
            print(f"shoal serve, default timeouts; {args.connections} connections of each kind, watched {args.wait:g} s")
            print(f"/healthz before: {before_ms:.1f} ms; with {len(KINDS) * args.connections} connections held: "
                  f"{during_ms:.1f} ms")
            print(f"{'kind':14} {'closed':>8} {'median s':>9} {'max s':>7}")
            for kind, times in closed.items():
                med = f"{statistics.median(times):.1f}" if times else "-"
                top = f"{max(times):.1f}" if times else "-"
                print(f"{kind:14} {len(times):>4}/{args.connections:<4} {med:>8} {top:>7}")
            for conn in opened:
                conn.close()
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
