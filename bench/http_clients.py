"""Upstream HTTP client comparison: httpx vs aiohttp vs shoal.models.fasthttp, same nginx mock.

    python bench/http_clients.py [--seconds 3]

Starts nginx returning the canned chat completion of ``bench/gateway.py`` and POSTs the same
small JSON body from one process on uvloop, with 1 and with 32 concurrent callers, for each
client. aiohttp is optional (it is not a Shoal dependency): install it anywhere on PYTHONPATH,
e.g. ``pip install --target /tmp/aiohttp-pkgs aiohttp`` and ``PYTHONPATH=/tmp/aiohttp-pkgs``.
Prints req/s per client and the ratio to httpx. This is the measurement behind the choice of
client documented in ``shoal.models.fasthttp``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import uvloop

sys.path.insert(0, str(Path(__file__).parent))
from gateway import BODY, free_port, start_nginx, stop
from shoal.models.fasthttp import FastClient

Post = Callable[[], Awaitable[bytes]]
PAYLOAD = orjson.dumps({**BODY, "model": "gpt-4o-mini"})


async def drive(post: Post, callers: int, seconds: float) -> float:
    for _ in range(50):  # warm up (connections opened)
        await post()
    done = 0
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            body = await post()
            assert body.startswith(b"{"), body[:100]
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(callers)))
    return done / (time.perf_counter() - start)


async def clients(url: str) -> dict[str, tuple[Post, Callable[[], Awaitable[Any]]]]:
    import httpx

    out: dict[str, tuple[Post, Callable[[], Awaitable[Any]]]] = {}
    hx = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=256, max_keepalive_connections=256))

    async def hx_post() -> bytes:
        r = await hx.post(url, content=PAYLOAD, headers={"content-type": "application/json"})
        return r.content

    out["httpx"] = (hx_post, hx.aclose)
    try:
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))

        async def aio_post() -> bytes:
            async with session.post(url, data=PAYLOAD, headers={"content-type": "application/json"}) as r:
                return await r.read()

        out["aiohttp"] = (aio_post, session.close)
    except ImportError:
        print("aiohttp is not installed: skipped (see the module docstring)", file=sys.stderr)
    fast = FastClient(timeout=30)

    async def fast_post() -> bytes:
        return (await fast.request("POST", url, PAYLOAD, content_type="application/json")).content

    out["fasthttp"] = (fast_post, fast.aclose)
    return out


async def run(url: str, seconds: float) -> None:
    table = await clients(url)
    results: dict[tuple[str, int], float] = {}
    for callers in (1, 32):
        for name, (post, _) in table.items():
            results[(name, callers)] = rps = await drive(post, callers, seconds)
            print(f"  {name:<9} callers={callers:<3} {rps:>9.0f} req/s", flush=True)
    for _, close in table.values():
        await close()
    print("\n| client | 1 caller req/s | 32 callers req/s | vs httpx (1 / 32) |\n|---|---|---|---|")
    for name in table:
        one, many = results[(name, 1)], results[(name, 32)]
        print(f"| {name} | {one:.0f} | {many:.0f} | {one / results[('httpx', 1)]:.1f}x / "
              f"{many / results[('httpx', 32)]:.1f}x |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=3.0, help="seconds per client and concurrency")
    args = ap.parse_args()
    if shutil.which("nginx") is None:
        sys.exit("nginx is missing: apt-get install -y nginx")
    tmp = Path(tempfile.mkdtemp(prefix="shoal-httpbench-"))
    mock_port, proxy_port = free_port(), free_port()
    nginx = start_nginx(tmp, mock_port, proxy_port)
    try:
        uvloop.run(run(f"http://127.0.0.1:{mock_port}/v1/chat/completions", args.seconds))
    finally:
        stop(nginx)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
