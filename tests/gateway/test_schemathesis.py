"""Fuzz the gateway's OpenAPI document with schemathesis (short: a few examples per operation).

The same command works by hand against ``shoal serve`` (see the README of the gateway)::

    st run http://127.0.0.1:8080/openapi.json -H "Authorization: Bearer $KEY" -n 50 \\
       -c not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gateway.conftest import live_gateway, make_settings

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.mark.slow
def test_schemathesis_finds_no_server_errors_or_schema_violations(tmp_path: Path) -> None:
    st = shutil.which("st", path=os.path.dirname(sys.executable)) or shutil.which("st")
    if st is None:
        pytest.skip("schemathesis is not installed (pip install 'shoal[dev]')")
    models = {"cheap": {"provider": "testing", "options": {"echo": True}},
              "hash": {"provider": "testing", "kind": "embedding", "options": {"dim": 8}}}
    with live_gateway(make_settings(tmp_path, models=models)) as live:
        key = live.create_key(team="fuzz")
        result = subprocess.run(
            [st, "run", f"{live.url}/openapi.json", "-H", f"Authorization: Bearer {key}", "-n", "20", "--phases", "examples,fuzzing",
             "--checks", CHECKS, "--seed", "1", "--request-timeout", "10", "--no-color"],
            check=False, capture_output=True, text=True, timeout=300, cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
