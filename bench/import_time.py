"""Start-up cost of `import shoal` and `shoal --help`, against a bare interpreter in the same run.

    python bench/import_time.py [--runs 10]

Target: both under 0.3 s wall time. Heavy libraries (torch, llama_cpp, sentence-transformers,
the gateway stack) must only load when a command needs them.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def timed(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    py = sys.executable
    floor = timed([py, "-c", "pass"], args.runs)
    rows = [
        ("python -c pass (floor)", floor),
        ("python -c 'import shoal'", timed([py, "-c", "import shoal"], args.runs)),
        ("python -c 'import shoal.models'", timed([py, "-c", "import shoal.models"], args.runs)),
        ("shoal --help", timed([py, "-m", "shoal.cli.__main__", "--help"], args.runs)),
    ]
    print(f"{'command':<34}{'median s':>10}{'over floor':>12}")
    for name, t in rows:
        print(f"{name:<34}{t:>10.3f}{t - floor:>12.3f}")
    probe = ("import sys, shoal.cli, shoal.models, shoal.catalog, shoal.config; "
             "print(sorted(m for m in ('torch','llama_cpp','sentence_transformers','uvicorn',"
             "'numpy','sklearn','qdrant_client') if m in sys.modules))")
    heavy = subprocess.run([py, "-c", probe],
                           capture_output=True, text=True, check=True).stdout.strip()
    print(f"heavy modules loaded by import shoal.cli/models/catalog/config: {heavy}")
    worst = max(t for _, t in rows[1:])
    print(f"target: < 0.300 s — {'met' if worst < 0.3 else 'NOT met'} (worst {worst:.3f} s)")


if __name__ == "__main__":
    main()
