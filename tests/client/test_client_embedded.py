"""``shoal.Client`` with zero config: the real embedded model answers, streams, and is recorded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import shoal
from shoal.store import open_store

pytestmark = pytest.mark.local_model


def test_zero_config_client_answers_and_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("llama_cpp")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOAL_CONFIG", raising=False)
    with shoal.SyncClient.from_config() as client:
        r = client.chat("What is the capital of France?", max_tokens=16, temperature=0.0)
        assert "paris" in r.text.lower()
        assert (r.model, r.route, r.cost_usd) == ("local", "default", 0.0)
        assert r.usage.completion_tokens > 0 and r.call.attempts[0].outcome == "ok"
        stream = client.stream("Count from one to five.", max_tokens=12)
        deltas = [c.delta for c in stream]
        assert "".join(deltas) == stream.result.text and stream.result.model == "local"
        ids = [r.request_id, stream.result.request_id]
        settings = client.client.settings
    assert os.path.isdir(tmp_path / ".shoal")
    store = open_store(settings)
    try:
        recs = {i: store.get_request(i) for i in ids if i}
    finally:
        store.close()
    assert len(recs) == 2 and all(rec.served_model == "local" for rec in recs.values())
