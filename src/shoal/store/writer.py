"""Background writer: request records are journaled on the caller's thread, batched into the DB here."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from shoal.store.journal import Journal, record_to_json
from shoal.store.records import RequestRecord

log = logging.getLogger("shoal.store")


class RecordWriter:
    """Accepts records from any thread; a daemon thread inserts them in batches.

    ``submit`` costs one ``os.write`` (when journaling) and a deque append: no I/O wait, no
    database. ``pending`` keeps accepted-but-uncommitted records readable (read-your-writes).
    """

    def __init__(self, insert: Callable[[list[RequestRecord]], None], journal: Journal | None, *,
                 flush_interval_s: float = 0.2, batch_size: int = 500) -> None:
        self._insert = insert
        self.journal = journal
        self.flush_interval_s = flush_interval_s
        self.batch_size = batch_size
        self.pending: dict[str, RequestRecord] = {}
        self._queue: deque[RequestRecord] = deque()
        self._lock = journal.lock if journal is not None else threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._in_flight = 0
        self._committed = 0  # records done (stored or set aside), in submit order
        self._stop = False
        self.failures = 0
        self.rejected = 0
        self._thread = threading.Thread(target=self._run, name="shoal-store-writer", daemon=True)
        self._thread.start()

    def submit(self, record: RequestRecord) -> None:
        line = record_to_json(record) if self.journal is not None else b""
        with self._lock:
            if self.journal is not None:
                self.journal.append(line)
            self.pending[record.request_id] = record
            self._queue.append(record)
        if len(self._queue) >= self.batch_size:
            self._wake.set()

    def _isolate(self, batch: list[RequestRecord]) -> bool:
        """After a failed batch, find records the database refuses on their own (a poison record
        must not block the log). Returns True if some were set aside; False if every record fails
        (the database is down: keep them all and retry)."""
        bad: list[RequestRecord] = []
        for record in batch:
            try:
                self._insert([record])
            except Exception as exc:  # noqa: BLE001 - classified below
                bad.append(record)
                last = exc
        if len(bad) == len(batch):
            return False
        for record in bad:
            self.rejected += 1
            log.error("request %s could not be stored and was set aside in the journal directory: %s",
                      record.request_id, last)
            if self.journal is not None:
                with open(self.journal.rejected_path, "ab") as fh:
                    fh.write(record_to_json(record))
        return True

    @property
    def backlog(self) -> int:
        return len(self._queue) + self._in_flight

    def _take(self) -> list[RequestRecord]:
        batch: list[RequestRecord] = []
        with self._lock:
            while self._queue and len(batch) < self.batch_size:
                batch.append(self._queue.popleft())
            self._in_flight = len(batch)
        return batch

    def _commit(self, batch: list[RequestRecord]) -> bool:
        try:
            self._insert(batch)
        except Exception as exc:  # noqa: BLE001 - keep the records (they are journaled), retry later
            if self._isolate(batch):
                self._done(batch)  # the good ones are in, the poison ones set aside
                return True
            self.failures += 1
            log.error("request log write failed (%d records kept, will retry): %s", len(batch), exc)
            with self._lock:
                self._queue.extendleft(reversed(batch))
                self._in_flight = 0
            return False
        self._done(batch)
        return True

    def _done(self, batch: list[RequestRecord]) -> None:
        with self._lock:
            for record in batch:
                self.pending.pop(record.request_id, None)
            self._in_flight = 0
            # Batches are taken from the queue's front and a failed one goes back to the front,
            # so records are done in submit order: a count says which journal lines are safe.
            self._committed += len(batch)
            if self.journal is not None:
                self.journal.release(self._committed)

    def _run(self) -> None:
        backoff = self.flush_interval_s
        while True:
            self._wake.wait(backoff)
            self._wake.clear()
            while True:
                batch = self._take()
                if not batch:
                    break
                if not self._commit(batch):
                    backoff = min(5.0, backoff * 2)
                    break
                backoff = self.flush_interval_s
            with self._idle:
                self._idle.notify_all()
            if self._stop and not self._queue:
                return

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted record is committed; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.backlog:
            self._wake.set()
            with self._idle:
                self._idle.wait(min(0.05, max(0.0, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                return self.backlog == 0
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Flush, stop the thread, and remove the journal if everything was committed."""
        done = self.flush(timeout)
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=5.0)
        if self.journal is not None:
            self.journal.close(remove=done and not self._queue)
        if not done:
            log.error("request log: %d records not yet written; they stay in %s and are replayed "
                      "at the next start", self.backlog,
                      self.journal.path if self.journal else "(memory: lost, journaling is off)")
