"""Real ``shoal serve`` processes: one budget shared through PostgreSQL, and kill -9 durability."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from shoal.config import Settings, load_settings
from shoal.wiring import open_store
from tests.store.test_store import pg_url  # noqa: F401 - fixture

MODELS = {"cheap": {"provider": "testing", "input_price": 1.0, "output_price": 2.0,
                    "options": {"responses": ["The capital of France is Paris."]}}}
CHAT = {"model": "cheap", "messages": [{"role": "user", "content": "hi"}]}  # 1 + 7 tokens = 0.000015 $


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(tmp_path: Path, **sections: Any) -> Path:
    path = tmp_path / "shoal.yaml"
    path.write_text(yaml.safe_dump({"default_model": "cheap", "data_dir": str(tmp_path / "data"),
                                    "models": MODELS, **sections}))
    return path


@contextmanager
def gateway_process(config: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _port()
    # The server's log goes to a file, not a pipe: a failing test can show it (the fault tests put it in
    # their failure message), and a pipe nobody reads while the test runs would block a gateway that
    # logs more than 64 KB.
    log_path = config.parent / f"serve-{port}.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from shoal.cli import main; main()", "--config", str(config), "serve",
             "--port", str(port)], env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            stdout=subprocess.DEVNULL, stderr=log_file)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"shoal serve did not start: {log_path.read_text(errors='replace')[-4000:]}")
        time.sleep(0.1)
    try:
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _chat(url: str, key: str) -> httpx.Response:
    return httpx.post(url + "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, json=CHAT, timeout=10)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_processes_enforce_one_team_budget_through_postgres(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    config = _config(tmp_path, store={"url": pg_url},
                     gateway={"teams": {"search": {"usd_per_day": 0.000044}}, "sync_interval_s": 0.1})
    settings = load_settings(config)
    store = open_store(settings)
    _, key = store.create_key(team="search")
    store.close()
    with gateway_process(config) as (a, _), gateway_process(config) as (b, _):
        # Each process alone would allow two more calls; together they stop after three (3 × 0.000015 $).
        statuses = []
        for url in (a, b, a, b, a):
            statuses.append(_chat(url, key).status_code)
            time.sleep(0.4)  # > sync_interval_s: the other process has seen the spend
        assert statuses == [200, 200, 200, 429, 429]
        refused = _chat(b, key).json()["error"]
        assert refused["code"] == "budget_exceeded_day" and "team search" in refused["message"]
    check = open_store(settings)
    try:
        records = check.query_requests(limit=100)
    finally:
        check.close()
    assert sorted(r.status for r in records) == [200, 200, 200, 429, 429, 429]


def _replayed(settings: Settings) -> int:
    store = open_store(settings)
    try:
        replayed = store.replay_journals()
        total = len(store.query_requests(limit=1000))
    finally:
        store.close()
    return replayed if replayed == total else -total


@pytest.mark.slow
def test_gateway_killed_with_sigkill_loses_no_accepted_record(tmp_path: Path) -> None:
    # A one-minute flush interval: nothing reaches the database before the kill, only the journal.
    config = _config(tmp_path, store={"flush_interval_s": 60})
    settings = load_settings(config)
    store = open_store(settings)
    _, key = store.create_key(team="t")
    store.close()
    with gateway_process(config) as (url, proc):
        ids = [_chat(url, key).headers["x-shoal-request-id"] for _ in range(20)]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert _replayed(settings) == 20
    store = open_store(settings)
    try:
        assert {store.get_request(i).status for i in ids} == {200}
    finally:
        store.close()
