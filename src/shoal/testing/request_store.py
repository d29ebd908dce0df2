"""Conformance suite for request-store backends (the ``store:`` URL schemes), shipped for plug-ins.

A backend registered under the entry-point group ``shoal.stores`` (see ``shoal.store.registry``)
runs the same suite as the built-in SQLite and PostgreSQL backends, in its own pytest run::

    import pytest
    from shoal.testing import RequestStoreConformance

    class TestMyBackend(RequestStoreConformance):
        @pytest.fixture
        def store_url(self, tmp_path):
            return "mydb://127.0.0.1:4000/test"   # a fresh, empty database per test

The suite opens the store through the registry (``shoal.store.open_store``), the way Shoal opens
it, so the entry point and the backend's SQL dialect are checked too. It covers the schema
migrations, the request log (write, read back at once, query, usage), feedback and its review
state, hashed API keys and the shared counters.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shoal.errors import NotFoundError, ShoalError
from shoal.paths import Paths
from shoal.store import Limits, RequestFilter, RequestRecord, Store, open_store
from shoal.store.config import StoreConfig
from shoal.store.counters import SqlCounters
from shoal.store.migrations import MIGRATIONS, applied, migrate

__all__ = ["RequestStoreConformance", "request_record"]


def request_record(i: int, **kw: object) -> RequestRecord:
    """A plausible request record ``req-<i>`` (team ``search``, user ``ann``); ``kw`` overrides fields."""
    base: dict[str, object] = {"request_id": f"req-{i}", "ts": 1_700_000_000.0 + i, "team": "search", "user": "ann",
                               "served_model": "cheap", "prompt_tokens": 10, "completion_tokens": 5,
                               "cost_usd": 0.001, "response_text": f"answer {i}"}
    base.update(kw)
    return RequestRecord(**base)  # type: ignore[arg-type]


class RequestStoreConformance:
    """Mix into a ``Test*`` class that defines a ``store_url`` fixture (a fresh, empty database).

    ``store`` is that database opened (and migrated) with a journal under the test's temp folder;
    override ``store_config`` to test other ``store:`` settings (e.g. counters in Redis).
    """

    def store_config(self, url: str) -> StoreConfig:
        """The ``store:`` section the suite opens ``url`` with."""
        return StoreConfig(url=url, flush_interval_s=0.05)

    @pytest.fixture
    def store(self, store_url: str, tmp_path: Path) -> Iterator[Store]:
        paths = Paths.at(tmp_path, tmp_path / ".shoal", "(conformance suite)")
        s = open_store(self.store_config(store_url), paths)
        yield s
        s.close()

    def test_migrations_are_numbered_and_idempotent(self, store: Store) -> None:
        assert [n for n, _ in applied(store.backend)] == [m.number for m in MIGRATIONS]
        assert migrate(store.backend) == []

    def test_records_roundtrip_query_and_usage(self, store: Store) -> None:
        store.start_writer()
        for i in range(5):
            store.record_request(request_record(i, team="search" if i < 3 else "ads", route_reasons=["pin:cheap"]))
        store.record_request(request_record(9, status=502, error="upstream down", cost_usd=0.0))
        got = store.get_request("req-1")  # readable at once, committed or not
        assert got.route_reasons == ["pin:cheap"] and got.response_text == "answer 1"
        assert store.flush()
        assert [r.request_id for r in store.query_requests(RequestFilter(team="ads"))] == ["req-4", "req-3"]
        assert [r.request_id for r in store.query_requests(RequestFilter(errors_only=True))] == ["req-9"]
        by_team = {u.group: u for u in store.usage("team")}
        assert by_team["search"].requests == 4 and by_team["search"].errors == 1
        assert by_team["search"].prompt_tokens == 40 and by_team["search"].cost_usd == pytest.approx(0.003)
        with pytest.raises(NotFoundError):
            store.get_request("req-4", team="search")  # another team's record does not exist for you
        with pytest.raises(ShoalError, match="cannot group usage"):
            store.usage("password")

    def test_feedback_keeps_the_original_answer_and_review_state(self, store: Store) -> None:
        store.record_request(request_record(1))
        fid = store.add_feedback("req-1", rating=-1, correction="better answer", comment="too short", team="search")
        fb = store.get_feedback(fid)
        assert fb.original_response == "answer 1" and fb.status == "pending" and fb.team == "search"
        with pytest.raises(NotFoundError):
            store.add_feedback("req-1", rating=1, team="ads")
        with pytest.raises(ShoalError, match="rating"):
            store.add_feedback("req-1", rating=9)
        reviewed = store.set_feedback_status(fid, "accepted", edited_correction="best answer", reviewer="lee")
        assert reviewed.status == "accepted" and reviewed.final_correction == "best answer"
        assert [f.id for f in store.list_feedback(status="accepted", team="search")] == [fid]
        assert store.list_feedback(team="ads") == []
        with pytest.raises(ShoalError, match="unknown feedback status"):
            store.set_feedback_status(fid, "maybe")

    def test_keys_are_hashed(self, store: Store) -> None:
        key, secret = store.create_key(team="search", groups=["hr"], limits=Limits(usd_per_day=5))
        assert secret.startswith("sk-shoal-") and len(secret) > 40
        assert secret not in repr(key) and key.key_hash != secret
        found = store.find_key(secret)
        assert found is not None and found.groups == frozenset({"hr"}) and found.limits.usd_per_day == 5
        store.revoke_key(key.key_id)
        assert store.find_key(secret) is None
        assert store.list_keys() == [] and len(store.list_keys(include_revoked=True)) == 1

    def test_counters_add_deltas_from_everyone(self, store: Store) -> None:
        far = time.time() + 3600
        store.counters.add([("team:a", "d1", 1, 10, 0.5, far)])
        totals = store.counters.add([("team:a", "d1", 2, 5, 0.25, far), ("key:k", "m1", 1, 0, 0.0, far)])
        assert totals[("team:a", "d1")] == (3, 15, 0.75)
        assert store.counters.read([("team:a", "d1"), ("none", "x")])[("none", "x")] == (0, 0, 0.0)
        store.counters.purge(far + 10)
        if isinstance(store.counters, SqlCounters):  # Redis expires its keys itself (TTL): purge is a no-op
            assert store.counters.read([("team:a", "d1")])[("team:a", "d1")] == (0, 0, 0.0)

    def test_nul_bytes_are_stored(self, store: Store) -> None:
        store.record_request(request_record(1, response_text="a\x00b"))
        assert store.get_request("req-1").response_text == "a\ufffdb"
