"""Gateway benchmark: Shoal (privacy scan on and off) vs the LiteLLM proxy vs nginx, one mock upstream.

    python bench/gateway.py [--duration 10] [--repeat 3] [--requests 100000] [--prompts 5000]
                            [--litellm /tmp/litellm-venv/bin/litellm] [--no-semantic]

Starts (all on 127.0.0.1, one process each):
  * mock    — nginx returning a canned chat completion (the upstream; its latency is the floor);
  * proxy   — nginx as a plain reverse proxy to the mock (the floor for any proxy);
  * shoal   — ``shoal`` gateway with routing (privacy scan + policy + fallback caller) and the
              request log on, model ``auto``, an API key; a second upstream entry marked
              self_hosted (the same mock) serves what the scan pins;
  * shoal-noscan — the same with ``privacy.enabled: false`` (no detection): the scan's cost is the
              difference, measured in the same run (``--no-semantic``: the scanning gateway without
              the semantic stage, ``privacy.model.semantic: false``: the cost of the rest of the scan);
  * litellm — the LiteLLM proxy from its own virtualenv (never the project's), same mock.
Every request is different: ``--prompts`` generated chat bodies (``bench/prompts.py``: questions,
code, summaries, multi-turn, tool calls, a fifth with personal data; a line to a few thousand
tokens) cycled by wrk's Lua script, each with a request number appended, so no two requests
alike. Each target is driven by wrk at 1 and 32 connections (each gateway ``--repeat`` times per
connection count, reporting the median run); the gateways run one after the other (never side by
side, so none pays for another's idle work). Prints req/s, p50/p99, added latency over the mock,
ratios (scan-on / scan-off req/s at 32 connections: target >= 0.5), and Shoal's RSS before/after
``--requests`` requests. For both Shoal gateways it also prints the process's CPU time per request
(/proc, all threads) and the scan-off / scan-on ratio of it: what the req/s ratio is on an idle
machine, and unlike req/s it does not move when a neighbour on a shared VM takes the CPU mid-run.

Needs: ``apt-get install -y nginx wrk``; LiteLLM in a separate venv:
``python3 -m venv /tmp/litellm-venv && /tmp/litellm-venv/bin/pip install 'litellm[proxy]'``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/prompts.py

CANNED = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris is the capital of France."},
                 "finish_reason": "stop", "logprobs": None}],
    "usage": {"prompt_tokens": 14, "completion_tokens": 8, "total_tokens": 22}})
BODY = {"model": "auto", "messages": [{"role": "user", "content": "What is the capital of France?"}]}
MARK = "{{REQ}}"  # where the Lua script writes each request's number into the last message


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2, headers=headers)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    cpu_ms: float | None = None  # the gateway process's CPU time (all threads) per request


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def wrk(url: str, conns: int, duration: float, script: Path, run: int = 0) -> Result:
    out = subprocess.run(["wrk", "-t", "1" if conns == 1 else "2", "-c", str(conns), "-d", f"{max(1, round(duration))}s",
                          "--latency", "-s", str(script), url, "--", str(run)],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(errs.group(1)) if errs else 0) + (sum(int(g) for g in sock.groups()) if sock else 0)
    return Result(rps, p50, p99, total, errors)


def write_bodies(path: Path, n: int) -> Path:
    """``n`` distinct generated chat bodies, one JSON per line, each with ``MARK`` in its last message."""
    from prompts import requests

    with path.open("w") as f:
        for body in requests(n, seed=2026):
            last = body["messages"][-1]
            last["content"] = f"{last['content']} (request {MARK})"
            f.write(json.dumps(body, ensure_ascii=False) + "\n")
    return path


def wrk_script(path: Path, key: str | None, bodies: Path) -> Path:
    """A wrk script cycling through ``bodies``; each request gets its own number (run, thread, count)."""
    headers = 'wrk.headers["Content-Type"] = "application/json"\n'
    if key:
        headers += f'wrk.headers["Authorization"] = "Bearer {key}"\n'
    path.write_text(f"""wrk.method = "POST"
{headers}
local made = 0
function setup(thread)
  thread:set("tid", made)
  made = made + 1
end
local pre, post, n, run = {{}}, {{}}, 0, "0"
function init(args)
  run = args[1] or "0"
  for line in io.lines("{bodies}") do
    local i = line:find("{MARK}", 1, true)
    pre[#pre + 1] = line:sub(1, i - 1)
    post[#post + 1] = line:sub(i + {len(MARK)})
  end
end
function request()
  n = n + 1
  local i = (n * 7919 + tid * 104729) % #pre + 1
  return wrk.format(nil, nil, nil, pre[i] .. run .. "-" .. tid .. "-" .. n .. post[i])
end
""")
    return path


def start_nginx(tmp: Path, mock_port: int, proxy_port: int) -> subprocess.Popen[bytes]:
    body = CANNED.replace("'", "\\'")
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_buffer_size 64k;
  client_max_body_size 64m;
  upstream mock {{ server 127.0.0.1:{mock_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{mock_port};
    location / {{ default_type application/json; return 200 '{body}'; }}
  }}
  server {{
    listen 127.0.0.1:{proxy_port};
    location / {{ proxy_pass http://mock; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}
}}
""")
    proc = subprocess.Popen(["nginx", "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"])
    wait_http(f"http://127.0.0.1:{mock_port}/")
    return proc


# Exactly what ``shoal serve --workers 1`` runs: build_app (the production pipeline from
# shoal.wiring: privacy scan, policy, fallback caller) under uvicorn with uvloop + httptools.
SHOAL_SERVER = r"""
import sys
from shoal.config import load_settings
from shoal.gateway.server import serve
serve(load_settings(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), workers=1)
"""


def start_shoal(tmp: Path, mock_port: int, port: int, *, scan: bool = True,
                semantic: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    name = "shoal" if scan else "shoal-noscan"
    config = tmp / f"{name}.yaml"
    upstream = {"provider": "openai", "model": "gpt-4o-mini", "base_url": f"http://127.0.0.1:{mock_port}/v1",
                "api_key": "env:BENCH_UPSTREAM_KEY", "input_price": 0.15, "output_price": 0.6}
    config.write_text(yaml.safe_dump({
        "default_model": "mock", "data_dir": str(tmp / f"{name}-data"),
        # The same mock twice: what the scan pins goes to the "self-hosted" one, nothing is refused.
        "models": {"mock": {**upstream, "locality": "external"}, "mock-local": {**upstream, "locality": "self_hosted"}},
        "routing": {"privacy": {"models": ["mock-local"]}},
        "privacy": {"enabled": scan, "model": {"semantic": semantic}},
        "gateway": {"log_content": True}}))
    os.environ["BENCH_UPSTREAM_KEY"] = "sk-bench"
    from shoal.config import load_settings
    from shoal.wiring import open_store

    store = open_store(load_settings(config))
    _, key = store.create_key(team="bench", user="wrk", segment="load")
    store.close()
    proc = subprocess.Popen([sys.executable, "-c", SHOAL_SERVER, str(config), str(port)])
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return proc, key


LITELLM_KEY = "sk-" + os.urandom(16).hex()


def start_litellm(tmp: Path, binary: str, mock_port: int, port: int) -> subprocess.Popen[bytes] | None:
    if not Path(binary).exists():
        print(f"LiteLLM not found at {binary}: skipped (see the module docstring)", file=sys.stderr)
        return None
    config = tmp / "litellm.yaml"
    config.write_text(yaml.safe_dump({"model_list": [{"model_name": "auto", "litellm_params": {
        "model": "openai/gpt-4o-mini", "api_base": f"http://127.0.0.1:{mock_port}/v1", "api_key": "sk-bench"}}]}))
    env = {**os.environ, "LITELLM_MASTER_KEY": LITELLM_KEY, "LITELLM_LOG": "ERROR", "LITELLM_TELEMETRY": "False", "NO_DOCS": "True",
           "DISABLE_SCHEMA_UPDATE": "True"}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([binary, "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
                             "--num_workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/health/liveliness", timeout=180)
    return proc


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    ap.add_argument("--requests", type=int, default=100_000, help="requests for the RSS growth check")
    ap.add_argument("--prompts", type=int, default=5000, help="distinct generated chat bodies to cycle through")
    ap.add_argument("--litellm", default="/tmp/litellm-venv/bin/litellm")
    ap.add_argument("--no-semantic", action="store_true",
                    help="scan without the semantic stage (privacy.model.semantic: false): the rest of the scan's cost")
    ap.add_argument("--repeat", type=int, default=3, help="runs per gateway and connection count; "
                    "the median run is reported")
    args = ap.parse_args()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install -y nginx wrk")
    tmp = Path(tempfile.mkdtemp(prefix="shoal-bench-"))
    mock_port, proxy_port, shoal_port, noscan_port, litellm_port = (free_port() for _ in range(5))
    procs: list[subprocess.Popen[bytes] | None] = []
    path = "/v1/chat/completions"
    results: dict[tuple[str, int], Result] = {}
    runs = iter(range(1, 1_000_000))
    bodies = write_bodies(tmp / "bodies.jsonl", args.prompts)
    print(f"{args.prompts} distinct generated chat bodies, {bodies.stat().st_size / args.prompts:.0f} bytes on "
          "average; every request also numbered", flush=True)

    def measure(name: str, url: str, script: Path, repeat: int = 1, pid: int | None = None) -> None:
        wrk(url, 4, 2, script, next(runs))  # warm up (connections, caches, lazy loads)
        for conns in (1, 32):
            results_here = []
            for _ in range(repeat):
                before = cpu_seconds(pid) if pid is not None else 0.0
                results_here.append(r := wrk(url, conns, args.duration, script, next(runs)))
                if pid is not None:
                    r.cpu_ms = (cpu_seconds(pid) - before) * 1000 / max(r.requests, 1)
                cpu = f"  cpu {r.cpu_ms:6.2f} ms/req" if r.cpu_ms is not None else ""
                print(f"  {name:<12} c={conns:<3} {r.rps:>9.0f} req/s  p50 {r.p50_ms:7.2f} ms  p99 {r.p99_ms:7.2f} ms"
                      f"  errors {r.errors}{cpu}", flush=True)
            # The run with the median req/s: one noisy run (a shared VM) moves neither side's figure.
            results[(name, conns)] = sorted(results_here, key=lambda run: run.rps)[len(results_here) // 2]

    def check(url: str, key: str) -> None:
        got = httpx.post(url, json=BODY, headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert got.status_code == 200, got.text
        print(f"shoal answers via {got.headers['x-shoal-model']} (route {got.headers['x-shoal-route']}, "
              f"reasons {got.headers['x-shoal-route-reasons']})")

    try:
        procs.append(start_nginx(tmp, mock_port, proxy_port))
        plain = wrk_script(tmp / "plain.lua", None, bodies)
        measure("mock", f"http://127.0.0.1:{mock_port}{path}", plain)
        measure("nginx-proxy", f"http://127.0.0.1:{proxy_port}{path}", plain)
        # Each gateway runs alone: an idle peer's background work must not slow the one measured.
        noscan, key = start_shoal(tmp, mock_port, noscan_port, scan=False)
        procs.append(noscan)
        url = f"http://127.0.0.1:{noscan_port}{path}"
        check(url, key)
        measure("shoal-noscan", url, wrk_script(tmp / "noscan.lua", key, bodies), args.repeat, noscan.pid)
        stop(noscan)
        shoal, key = start_shoal(tmp, mock_port, shoal_port, semantic=not args.no_semantic)
        procs.append(shoal)
        url = f"http://127.0.0.1:{shoal_port}{path}"
        check(url, key)
        keyed = wrk_script(tmp / "keyed.lua", key, bodies)
        measure("shoal", url, keyed, args.repeat, shoal.pid)
        # Memory: RSS before and after N more requests through Shoal.
        rss_before = rss_kib(shoal.pid)
        done = 0
        while done < args.requests:
            done += wrk(url, 32, 10, keyed, next(runs)).requests
        rss_after = rss_kib(shoal.pid)
        stop(shoal)
        litellm = start_litellm(tmp, args.litellm, mock_port, litellm_port)
        procs.append(litellm)
        if litellm is not None:
            # Authenticated like Shoal (its master key; no database, so no per-key budgets).
            measure("litellm", f"http://127.0.0.1:{litellm_port}{path}",
                    wrk_script(tmp / "ll.lua", LITELLM_KEY, bodies), args.repeat)
            stop(litellm)
        report(results, rss_before, rss_after, done)
    finally:
        for proc in reversed(procs):
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def report(results: dict[tuple[str, int], Result], rss_before: int, rss_after: int, n: int) -> None:
    print("\n| target | conns | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for (name, conns), r in sorted(results.items(), key=lambda item: item[0][1]):
        mock = results[("mock", conns)]
        print(f"| {name} | {conns} | {r.rps:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.p50_ms - mock.p50_ms:.2f} | "
              f"{r.p99_ms - mock.p99_ms:.2f} | {r.errors} |")
    shoal1, shoal32 = results[("shoal", 1)], results[("shoal", 32)]
    print()
    if ("litellm", 32) in results:
        for conns in (1, 32):
            ratio = results[("shoal", conns)].rps / max(results[("litellm", conns)].rps, 1e-9)
            print(f"shoal / litellm req/s at {conns:>2} conns: {ratio:6.1f}x   (target >= 20x)")
    print(f"shoal / nginx-proxy req/s at 32 conns: {shoal32.rps / results[('nginx-proxy', 32)].rps:6.3f}")
    for conns in (1, 32):
        ratio = results[("shoal", conns)].rps / max(results[("shoal-noscan", conns)].rps, 1e-9)
        print(f"scan on / scan off req/s at {conns:>2} conns: {ratio:6.3f}"
              + ("   (target >= 0.5)" if conns == 32 else ""))
    # The same comparison from the gateway's own CPU time per request: req/s of a CPU-bound process
    # is the inverse of it, and it does not depend on what else the machine runs meanwhile (req/s
    # on a shared VM does: a neighbour's burst during one run moves that run's figure).
    for conns in (1, 32):
        on, off = results[("shoal", conns)].cpu_ms, results[("shoal-noscan", conns)].cpu_ms
        if on and off:
            print(f"gateway CPU per request at {conns:>2} conns: scan off {off:.2f} ms, scan on {on:.2f} ms; "
                  f"off / on {off / on:6.3f}" + ("   (the req/s ratio on an idle machine; target >= 0.5)"
                                                 if conns == 32 else ""))
    mock1 = results[("mock", 1)]
    print(f"added latency at 1 conn: p50 {shoal1.p50_ms - mock1.p50_ms:.2f} ms (target <= 1), "
          f"p99 {shoal1.p99_ms - mock1.p99_ms:.2f} ms (target <= 5)")
    growth = (rss_after - rss_before) / rss_before * 100 if rss_before else float("nan")
    print(f"shoal RSS: {rss_before / 1024:.1f} MiB before, {rss_after / 1024:.1f} MiB after {n} more requests "
          f"({growth:+.1f}%, target <= 10%)")


if __name__ == "__main__":
    main()
