"""``shoal.Client`` with zero config: the real embedded model answers, streams, and is recorded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import shoal
from shoal.wiring import open_store

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


def test_local_window_is_what_llama_cpp_enforces_and_overflow_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    from shoal.config import Settings, parse_config

    settings = Settings(parse_config({"data_dir": str(tmp_path / "d")}), None)
    with shoal.SyncClient(settings, record=False) as client:
        model = client.catalog.chat_model("local")
        assert model.spec.context_window == model.llama().n_ctx()  # type: ignore[attr-defined]
        # Fits the byte-based estimate, but each of these characters is several tokens: llama.cpp
        # itself rejects it — as ContextLengthError, streaming or not (it was a bare ValueError → 500).
        dense = "𝔘𝔫𝔦" * 1200
        with pytest.raises(shoal.ProviderError, match="context window"):
            client.chat(dense, model="local", max_tokens=8)
        with pytest.raises(shoal.ProviderError, match="context window"):
            for _ in client.stream(dense, model="local", max_tokens=8):
                pass
        # Over the estimate: refused before anything runs, naming the window.
        with pytest.raises(shoal.ShoalError, match="context window 4096"):
            client.chat("word " * 5000, model="local")


def test_the_embedded_model_keeps_to_a_json_schema(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    import json

    from shoal.config import Settings, parse_config

    schema = {"type": "object", "properties": {"city": {"type": "string"}, "rank": {"type": "integer"}},
              "required": ["city", "rank"], "additionalProperties": False}
    settings = Settings(parse_config({"data_dir": str(tmp_path / "d")}), None)
    with shoal.SyncClient(settings, record=False) as client:
        r = client.chat("Name a large city and its rank by size.", model="local", max_tokens=40, temperature=0.0,
                        json_mode=True, json_schema={"name": "city", "schema": schema})
    data = json.loads(r.text)  # the grammar makes it parse, whatever a 135M model would rather say
    assert set(data) == {"city", "rank"} and isinstance(data["city"], str) and isinstance(data["rank"], int)
