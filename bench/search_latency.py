"""Wall time of the CLI `shoal search`: the first call after ingest and the calls after it — through
the warm search daemon (the default), in-process with the torch-free query encoder (`--no-daemon`),
and in-process with torch (`--no-daemon`, `query_encoder: torch`, what every call cost before) —
with a bare interpreter as the floor, all in the same run, on the sample handbook in the repo.

    python bench/search_latency.py [--runs 5]

Target: a warm call (every call after the first) under 1 s. Each call is a new process, as a
user typing commands makes them. Report `uptime` beside the numbers: they are wall times.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ["parental leave", "hotel limit in London", "how long must passwords be", "probation period",
           "salary review", "working from another country", "doctor's note", "home office budget"]


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def project(tmp: Path, name: str, encoder: str, env: dict[str, str]) -> Path:
    folder = tmp / name
    shutil.copytree(ROOT / "examples" / "handbook", folder / "docs")
    (folder / "shoal.yaml").write_text(
        "rag:\n  rules:\n    - {glob: \"hr/**\", label: confidential, groups: [hr]}\n"
        f"models:\n  minilm:\n    provider: sentence_transformers\n    kind: embedding\n"
        f"    options: {{query_encoder: {encoder}}}\n")
    subprocess.run([sys.executable, "-m", "shoal.cli", "ingest", "docs", "--no-progress"], cwd=folder, env=env,
                   check=True, capture_output=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="warm calls per encoder")
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT / "src"), "SHOAL_SEARCH_DAEMON": "1",
           "SHOAL_SEARCH_DAEMON_IDLE_S": "30"}  # the bench's daemons leave soon after it
    env.pop("SHOAL_CONFIG", None)
    with tempfile.TemporaryDirectory(prefix="shoal-search-bench-") as raw:
        tmp = Path(raw)
        floor = statistics.median(run([sys.executable, "-c", "pass"], tmp, env) for _ in range(3))
        rows = []
        for name, encoder, extra in (("daemon (default)", "numpy", []), ("in-process numpy", "numpy", ["--no-daemon"]),
                                     ("in-process torch", "torch", ["--no-daemon"])):
            folder = project(tmp, f"{encoder}{len(rows)}", encoder, env)
            cmd = [sys.executable, "-m", "shoal.cli", "search", "--groups", "hr", *extra]
            first = run([*cmd, QUERIES[0]], folder, env)
            time.sleep(3)  # a reader's pause: the daemon the first call started is up by the next one
            warm = [run([*cmd, QUERIES[(i + 1) % len(QUERIES)]], folder, env) for i in range(args.runs)]
            rows.append((name, first, statistics.median(warm), max(warm)))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; floor (python -c pass) {floor:.3f} s")
    print(f"{'shoal search':<20}{'first s':>10}{'warm p50 s':>12}{'warm max s':>12}")
    for name, first, p50, worst in rows:
        print(f"{name:<20}{first:>10.2f}{p50:>12.2f}{worst:>12.2f}")
    base = rows[2][2]
    print(f"warm daemon / warm torch: {rows[0][2] / base:.3f}; warm numpy in-process / warm torch: "
          f"{rows[1][2] / base:.3f}; target warm < 1 s: {'met' if rows[0][2] < 1.0 else 'missed'}")


if __name__ == "__main__":
    main()
