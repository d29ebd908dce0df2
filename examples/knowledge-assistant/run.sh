#!/usr/bin/env bash
# The whole scenario, offline: data → evals → router → a month of traffic → cost of ownership.
# Run from this folder with shoal installed (./scripts/install.sh at the repository root).
set -euo pipefail
cd "$(dirname "$0")"
SHOAL="${SHOAL:-shoal}"  # e.g. SHOAL=".venv/bin/shoal"
PY="${PYTHON:-python}"
rm -rf .shoal data
"$PY" generate.py --out data --requests "${REQUESTS:-12000}"
$SHOAL ingest docs/                                        # HR documents labelled confidential (group hr)
$SHOAL search "salary bands" --as-user ann --groups sales  # nothing: sales cannot read HR documents
$SHOAL eval run eval-train.yaml                            # per-item results the router learns from
$SHOAL router train --from-eval latest --weak assistant-8b --strong frontier --quality 0.95 --out .shoal/router.npz
$SHOAL eval run eval-test.yaml                             # held-out questions: quality per model
"$PY" simulate_month.py                                      # a month of traffic through the request path
$SHOAL tco --since 30d
