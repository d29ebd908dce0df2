"""The journal under sustained load: committed segments go away while the queue is never empty."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from shoal.store import RequestRecord, Store
from shoal.store.backend import SQLiteBackend
from shoal.store.journal import Journal, read_journal
from shoal.store.writer import RecordWriter


def _ids_on_disk(directory: Path) -> set[str]:
    return {r.request_id for p in directory.glob("*.jsonl") for r in read_journal(p)[0]}


def test_committed_segments_are_deleted_while_newer_records_wait(tmp_path: Path) -> None:
    store = Store(SQLiteBackend(tmp_path / "shoal.db"))
    entered, gate = threading.Event(), threading.Semaphore(0)

    def gated_insert(records: list[RequestRecord]) -> None:
        entered.set()
        gate.acquire()
        store._insert(records)

    # One record per segment, so every commit can free a file.
    journal = Journal(tmp_path / "journal", segment_bytes=1)
    writer = RecordWriter(gated_insert, journal, flush_interval_s=0.01, batch_size=5)
    try:
        for i in range(5):
            writer.submit(RequestRecord(request_id=f"r{i}", ts=float(i)))
        assert entered.wait(10)  # the writer holds r0..r4 and waits at the gate
        for i in range(5, 10):
            writer.submit(RequestRecord(request_id=f"r{i}", ts=float(i)))
        assert _ids_on_disk(tmp_path / "journal") == {f"r{i}" for i in range(10)}
        gate.release()  # commit r0..r4 only: the queue still holds r5..r9
        deadline = time.monotonic() + 10
        while "r4" in writer.pending and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "r4" not in writer.pending
        # Every uncommitted record is still journaled (kill -9 safe); the committed ones are gone.
        assert _ids_on_disk(tmp_path / "journal") == {f"r{i}" for i in range(5, 10)}
        assert len(list((tmp_path / "journal").glob("*.jsonl"))) == 5
        for _ in range(10):
            gate.release()
        assert writer.flush(10)
    finally:
        for _ in range(10):
            gate.release()
        writer.close()
    assert list((tmp_path / "journal").glob("*.jsonl")) == []
    assert len(store.query_requests(limit=100)) == 10
    store.close()


def test_a_quiet_moment_empties_a_big_segment_in_place(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_bytes=10)
    with journal.lock:
        journal.append(b'{"request_id": "a", "ts": 1}\n')
        journal.release(0)
        assert journal.size > 0  # not committed yet: kept
        journal.release(1)
    assert journal.size == 0 and journal.path.stat().st_size == 0
    assert journal.segments == [journal.path]
    journal.close(remove=True)
    assert list(tmp_path.glob("*.jsonl")) == []
