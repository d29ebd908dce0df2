"""The request-log writer against a PostgreSQL that refuses, hangs and cuts connections.

Every accepted record ends up stored exactly once; a record is set aside only when it fails alone
against a database that answers; set-aside records are listed, kept 0600 and replayable.
"""

from __future__ import annotations

import stat
import time
import uuid
from pathlib import Path

import pytest

from shoal.store import RequestRecord, Store
from shoal.store.backend import PostgresBackend
from tests.servers.tcp_proxy import FaultProxy


def _record(rid: str, **kw: object) -> RequestRecord:
    fields: dict[str, object] = {"team": "t", "prompt_tokens": 3, "completion_tokens": 4, "cost_usd": 0.001, **kw}
    return RequestRecord(request_id=rid, ts=time.time(), **fields)  # type: ignore[arg-type]


def _stored_ids(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT request_id FROM requests")]


def _open(tmp_path: Path, url: str) -> Store:
    store = Store(PostgresBackend(url, timeout_s=1.0), journal_dir=tmp_path / "journal", flush_interval_s=0.05)
    writer = store.start_writer()
    writer.max_backoff_s = 0.4
    return store


@pytest.mark.postgres
def test_no_record_lost_or_set_aside_through_refuse_hang_and_cut(tmp_path: Path, pg_proxy: tuple[FaultProxy, str],
                                                                  pg_url: str) -> None:
    proxy, url = pg_proxy
    store = _open(tmp_path, url)
    ids: list[str] = []

    def burst(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            rid = uuid.uuid4().hex
            store.record_request(_record(rid))
            ids.append(rid)
            time.sleep(0.01)

    try:
        burst(0.5)
        for mode in ("refuse", "hang"):
            proxy.set_mode(mode)
            burst(2.0)
            proxy.set_mode("pass")
            burst(0.5)
        proxy.cut()  # an admin shutdown of every connection, mid-traffic
        burst(0.5)
        assert store.flush(30), store.writer.last_error if store.writer else None
        assert store.writer is not None and store.writer.rejected == 0 and store.writer.failures > 0
    finally:
        store.close()
    stored = _stored_ids(pg_url)
    assert len(stored) == len(set(stored)) == len(ids)
    assert set(stored) == set(ids)
    assert not list((tmp_path / "journal").glob("*.rejected"))
    assert not list((tmp_path / "journal").glob("*.jsonl"))


@pytest.mark.postgres
def test_poison_is_set_aside_only_against_a_healthy_database_and_can_be_replayed(
        tmp_path: Path, pg_proxy: tuple[FaultProxy, str], pg_url: str) -> None:
    proxy, url = pg_proxy
    store = _open(tmp_path, url)
    try:
        proxy.set_mode("refuse")
        store.record_request(_record("good-1"))
        store.record_request(_record("poison", prompt_tokens=2 ** 63 + 5))  # JSON can hold it, BIGINT cannot
        store.record_request(_record("good-2"))
        assert not store.flush(1.5)  # the database is down: nothing stored, nothing set aside
        assert store.writer is not None and store.writer.rejected == 0
        assert not list((tmp_path / "journal").glob("*.rejected"))
        proxy.set_mode("pass")
        assert store.flush(20)
        assert store.writer.rejected == 1
        listed = store.rejected()
        assert [r.request_id for _, _, _, r in listed] == ["poison"] and "range" in listed[0][2]
        assert stat.S_IMODE(listed[0][0].stat().st_mode) == 0o600
        assert store.replay_rejected() == (0, 1)  # still refused: still set aside, still listed
        assert [r.request_id for _, _, _, r in store.rejected()] == ["poison"]
    finally:
        store.close()
    assert sorted(_stored_ids(pg_url)) == ["good-1", "good-2"]
    # The data is fixed (here: by hand) and replayed: stored, and the rejected file is gone.
    path = next((tmp_path / "journal").glob("*.rejected"))
    path.write_bytes(path.read_bytes().replace(str(2 ** 63 + 5).encode(), b"5"))
    again = Store(PostgresBackend(pg_url), journal_dir=tmp_path / "journal")
    try:
        assert again.replay_rejected() == (1, 0)
        assert again.rejected() == [] and again.get_request("poison").prompt_tokens == 5
    finally:
        again.close()


def test_cli_lists_and_replays_set_aside_records(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from shoal.cli import cli
    from shoal.store.writer import write_rejected

    config = tmp_path / "shoal.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\nmodels: {{small: {{provider: testing}}}}\n")
    journal = tmp_path / "data" / "journal"
    journal.mkdir(parents=True)
    write_rejected(journal / "requests-1-dead.rejected", _record("was-refused"), "DataError: bigint out of range")
    runner = CliRunner()
    listed = runner.invoke(cli, ["--config", str(config), "logs", "--rejected"])
    assert listed.exit_code == 0, listed.output
    assert "was-refused"[:12] in listed.output and "bigint out of range" in listed.output
    replayed = runner.invoke(cli, ["--config", str(config), "store", "replay"])
    assert replayed.exit_code == 0, replayed.output
    assert "1 set-aside record(s) stored, 0 still refused" in replayed.output
    assert "no set-aside records" in runner.invoke(cli, ["--config", str(config), "logs", "--rejected"]).output


@pytest.mark.postgres
def test_an_idle_connection_cut_under_us_is_replaced_before_it_is_used(pg_proxy: tuple[FaultProxy, str]) -> None:
    """A failover resets idle connections; the next transaction on this thread notices the reset
    before sending anything and reconnects, instead of failing once (which made the gateway's store
    breaker, and its readiness, flap once per thread after every cut)."""
    proxy, url = pg_proxy
    backend = PostgresBackend(url, timeout_s=2.0)
    try:
        with backend.transaction() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone()[0] == 1
        proxy.cut()
        time.sleep(0.2)  # the reset reaches our socket
        with backend.transaction() as cur:
            cur.execute("SELECT 2")
            assert cur.fetchone()[0] == 2
    finally:
        backend.close()
