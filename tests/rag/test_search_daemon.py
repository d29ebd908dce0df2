"""The warm search daemon: same hits as in-process, the caller's ACL, a new ingest is seen, and it
goes away when idle."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from shoal.cli import search_daemon

CONFIG = """models:
  minilm: {provider: testing, kind: embedding, options: {dim: 64}}
rag:
  min_similarity: -1
  rules:
    - {glob: "hr/**", label: confidential, groups: [hr]}
"""


def shoal(project: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "shoal.cli", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    return done.stdout


def paths(out: str) -> list[str]:
    return [json.loads(line)["path"] for line in out.splitlines() if line.strip()]


def wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_daemon_answers_like_in_process_sees_new_ingests_and_exits_when_idle(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    (project / "docs" / "hr").mkdir(parents=True)
    (project / "shoal.yaml").write_text(CONFIG)
    (project / "docs" / "leave.md").write_text("# Leave\nEmployees get 25 days of annual leave.\n")
    (project / "docs" / "hr" / "pay.md").write_text("# Pay\nThe salary band for engineers is 63,000 euros.\n")
    # pytest's tmp_path can be long enough to leave no room for a socket name (sun_path is 108 bytes)
    run_dir = Path(tempfile.mkdtemp(prefix="shoal-sd-", dir="/tmp"))
    env = {**os.environ, "SHOAL_SEARCH_DAEMON": "1", "SHOAL_SEARCH_DAEMON_IDLE_S": "8",
           "XDG_RUNTIME_DIR": str(run_dir)}
    env.pop("SHOAL_CONFIG", None)
    shoal(project, env, "ingest", "docs", "--no-progress")

    first = paths(shoal(project, env, "search", "salary", "band", "--groups", "hr", "--json"))
    assert first and first[0] == "docs/hr/pay.md"
    monkeypatch.chdir(project)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run_dir))
    sock = search_daemon.socket_path(None)
    assert wait_for(sock.exists, 120), "the first search did not leave a daemon behind"
    assert sock.stat().st_mode & 0o777 == 0o600

    request = {"query": "salary band", "user": None, "groups": "hr", "collection": None, "k": None,
               "mode": "hybrid", "labels": [], "path_prefix": None}
    hits = search_daemon.ask(None, request)
    assert isinstance(hits, list) and [h.chunk.path for h in hits] == first  # the daemon answered, same hits
    outsider = search_daemon.ask(None, {**request, "groups": None})
    assert isinstance(outsider, list) and all(h.chunk.path != "docs/hr/pay.md" for h in outsider)
    assert paths(shoal(project, env, "search", "salary", "band", "--groups", "hr", "--json")) == first

    (project / "docs" / "parking.md").write_text("# Parking\nParking permits cost 40 euros a month.\n")
    shoal(project, env, "ingest", "docs", "--no-progress")
    assert "docs/parking.md" in paths(shoal(project, env, "search", "parking", "permits", "--json"))

    assert wait_for(lambda: not sock.exists(), 60), "the idle daemon did not exit"
    shutil.rmtree(run_dir, ignore_errors=True)


def test_a_runtime_folder_too_long_for_a_socket_searches_in_process(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "shoal.yaml").write_text(CONFIG)
    (project / "docs" / "leave.md").write_text("# Leave\nEmployees get 25 days of annual leave.\n")
    run_dir = tmp_path / ("r" * 60) / ("u" * 60)
    run_dir.mkdir(parents=True, mode=0o700)
    env = {**os.environ, "SHOAL_SEARCH_DAEMON": "1", "XDG_RUNTIME_DIR": str(run_dir)}
    env.pop("SHOAL_CONFIG", None)
    shoal(project, env, "ingest", "docs", "--no-progress")
    for _ in range(2):  # the second call would meet a daemon if one had been started
        assert paths(shoal(project, env, "search", "annual", "leave", "--json")) == ["docs/leave.md"]
    assert list((run_dir / "shoal").iterdir()) == []
