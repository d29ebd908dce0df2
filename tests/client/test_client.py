"""``shoal.Client`` / ``SyncClient`` over scripted models: route, reasons, cost, attempts, records."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import shoal
from shoal.config import Settings, parse_config
from shoal.wiring import open_store

MODELS: dict[str, Any] = {
    "cloud": {"provider": "testing", "locality": "external", "input_price": 1.0, "output_price": 2.0,
              "options": {"responses": ["cloud answer"]}},
    "onprem": {"provider": "testing", "locality": "self_hosted", "input_price": 0.1, "output_price": 0.1,
               "options": {"responses": ["on-prem answer"]}},
    "broken": {"provider": "testing", "locality": "external", "options": {"fail_with": "unavailable"}},
}


def settings(tmp_path: Path, **sections: Any) -> Settings:
    data = {"default_model": "cloud", "data_dir": str(tmp_path / "data"), "models": MODELS, **sections}
    return Settings(parse_config(data, "test.yaml"), tmp_path / "shoal.yaml")


def test_public_api_is_small_and_documented() -> None:
    names = [n for n in shoal.__all__ if n != "__version__"]
    assert 10 <= len(names) <= 20
    for name in names:
        obj = getattr(shoal, name)
        assert obj.__doc__, f"shoal.{name} has no docstring"


def test_chat_carries_route_reasons_cost_and_is_recorded(tmp_path: Path) -> None:
    s = settings(tmp_path)
    with shoal.SyncClient(s) as client:
        r = client.chat("Write a haiku about spring", principal=shoal.Principal.of("ann", team="sales"))
    assert r.text == "cloud answer" and r.model == "cloud"
    assert r.route == "default" and "default:cloud" in r.reasons
    assert r.cost_usd == pytest.approx((r.usage.prompt_tokens * 1.0 + r.usage.completion_tokens * 2.0) / 1e6)
    assert r.cost_usd > 0
    assert [a.outcome for a in r.call.attempts] == ["ok"]
    assert r.request_id is not None
    store = open_store(s)
    try:
        rec = store.get_request(r.request_id)
    finally:
        store.close()
    assert (rec.served_model, rec.route, rec.team, rec.user) == ("cloud", "default", "sales", "ann")
    assert rec.cost_usd == pytest.approx(r.cost_usd) and rec.status == 200


def test_sensitive_request_is_routed_self_hosted_with_privacy_reasons(tmp_path: Path) -> None:
    with shoal.SyncClient(settings(tmp_path), record=False) as client:
        r = client.chat("Send the SSN 123-45-6789 to payroll", model="cloud")
    assert r.model == "onprem" and r.route == "privacy"
    assert "privacy:self_hosted-only" in r.reasons
    assert r.request_id is None


def test_fallback_attempts_are_all_in_the_call_record(tmp_path: Path) -> None:
    s = settings(tmp_path, routing={"fallbacks": {"broken": ["cloud"]}, "retries": {"max_attempts": 1}})
    with shoal.SyncClient(s) as client:
        r = client.chat("hello", model="broken")
    assert r.model == "cloud" and r.fallback
    assert [(a.model, a.outcome) for a in r.call.attempts] == [("broken", "error"), ("cloud", "ok")]


def test_stream_records_the_model_that_served_not_the_first_candidate(tmp_path: Path) -> None:
    s = settings(tmp_path, routing={"fallbacks": {"broken": ["cloud"]}, "retries": {"max_attempts": 1}})

    async def main() -> shoal.ChatResult:
        async with shoal.Client(s) as client:
            stream = client.stream("hello", model="broken")
            text = "".join([c.delta async for c in stream])
            assert text == "cloud answer"
            return stream.result

    r = asyncio.run(main())
    assert r.model == "cloud" and r.text == "cloud answer" and r.cost_usd > 0
    store = open_store(s)
    try:
        assert r.request_id is not None
        rec = store.get_request(r.request_id)
    finally:
        store.close()
    assert (rec.served_model, rec.stream, rec.status) == ("cloud", True, 200)


def test_refusal_raises_and_is_recorded(tmp_path: Path) -> None:
    down = {**MODELS["onprem"], "options": {"fail_with": "unavailable"}}
    s = settings(tmp_path, models={"cloud": MODELS["cloud"], "onprem": down},
                 routing={"privacy": {"models": ["onprem"]}, "retries": {"max_attempts": 1}})
    with shoal.SyncClient(s) as client, pytest.raises(shoal.PolicyRefusedError):
        client.chat("Send the SSN 123-45-6789 to payroll")
    store = open_store(s)
    try:
        recs = store.query_requests()
    finally:
        store.close()
    assert len(recs) == 1 and recs[0].status == 403


def test_sync_stream_stopped_early_leaks_nothing_into_the_next_answer(tmp_path: Path) -> None:
    s = settings(tmp_path, models={"echo": {"provider": "testing", "options": {"echo": True}}},
                 default_model="echo")
    with shoal.SyncClient(s) as client:
        stream = client.stream("one two three four five six")
        for _ in stream:
            break
        stream.close()
        r = client.chat("seven")
    assert "seven" in r.text and "one" not in r.text


def test_embed_and_search(tmp_path: Path) -> None:
    s = settings(tmp_path, models={**MODELS, "hash": {"provider": "testing", "kind": "embedding"}},
                 rag={"embedder": "hash"})
    with shoal.SyncClient(s, record=False) as client:
        vectors = client.embed(["a", "b c"])
        assert len(vectors) == 2 and len(vectors[0]) == 256
        assert client.search("anything") == []  # nothing ingested: empty, not an error


def test_all_lists_exactly_the_lazy_exports() -> None:
    assert sorted(shoal.__all__) == sorted([*shoal._EXPORTS, "__version__"])


def test_ctrl_c_mid_answer_stops_it_and_the_next_answer_is_clean(tmp_path: Path) -> None:
    import _thread
    import threading

    slow = {"provider": "testing", "options": {"echo": True, "delay_s": 0.05}}
    s = settings(tmp_path, models={"slow": slow}, default_model="slow")
    with shoal.SyncClient(s) as client:
        stream = client.stream("alpha beta gamma delta epsilon zeta eta theta iota kappa")
        got: list[str] = []
        # Ctrl-C a little after the first word arrives (a timer from the call's start raced the
        # first call's warm-up: the first chunk came at ~0.11 s, the interrupt at 0.12 s).
        timer = threading.Timer(0.12, _thread.interrupt_main)
        with pytest.raises(KeyboardInterrupt):
            for chunk in stream:
                got.append(chunk.delta)
                if not timer.is_alive() and len(got) == 1:
                    timer.start()
        assert 0 < len(got) < 10
        r = client.chat("omega")
    assert r.text == "omega"
    assert stream.result.text == "".join(got)
