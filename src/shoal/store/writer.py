"""Background writer: request records are journaled on the caller's thread, batched into the DB here."""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable

import orjson

from shoal.store.journal import Journal, record_to_json
from shoal.store.records import RequestRecord

log = logging.getLogger("shoal.store")


class RecordWriter:
    """Accepts records from any thread; a daemon thread inserts them in batches.

    ``submit`` costs one ``os.write`` (when journaling) and a deque append: no I/O wait, no
    database. ``pending`` keeps accepted-but-uncommitted records readable (read-your-writes).
    """

    def __init__(self, insert: Callable[[list[RequestRecord]], None], journal: Journal | None, *,
                 flush_interval_s: float = 0.2, batch_size: int = 500,
                 is_transient: Callable[[BaseException], bool] | None = None,
                 healthy: Callable[[], bool] | None = None, max_backoff_s: float = 5.0) -> None:
        self._insert = insert
        self.journal = journal
        self.flush_interval_s = flush_interval_s
        self.batch_size = batch_size
        # Without a classifier every failure is treated as the database's (retry, never set aside).
        self._is_transient = is_transient or (lambda exc: True)
        self._healthy = healthy or (lambda: True)
        self.max_backoff_s = max_backoff_s
        self.pending: dict[str, RequestRecord] = {}
        self._queue: deque[RequestRecord] = deque()
        self._lock = journal.lock if journal is not None else threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._in_flight = 0
        self._committed = 0  # records done (stored or set aside), in submit order
        self._stop = False
        self._give_up = False
        self.failures = 0
        self.rejected = 0
        self.last_error: str | None = None
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
        """After a batch failed with a non-transient error, insert its records one by one.

        A record is set aside only when it fails *alone* with a non-transient error while the
        database answers a health check: that is the record's fault. Any transient failure (or a
        failed health check) means the database is the problem: returns False and the caller keeps
        the whole batch for a later retry (inserts are idempotent, so the records already in are
        harmless to insert again).
        """
        bad: list[tuple[RequestRecord, BaseException]] = []
        for record in batch:
            try:
                self._insert([record])
            except Exception as exc:  # noqa: BLE001 - classified below
                if self._is_transient(exc) or not self._healthy():
                    self.last_error = _describe(exc)
                    return False
                bad.append((record, exc))
        for record, error in bad:
            self.rejected += 1
            log.error("request %s was refused by a healthy database and set aside (see `shoal logs --rejected`, "
                      "`shoal store replay`): %s", record.request_id, _describe(error))
            if self.journal is not None:
                write_rejected(self.journal.rejected_path, record, _describe(error))
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
            if not self._is_transient(exc) and self._isolate(batch):
                self._done(batch)  # the good ones are in, the poison ones set aside
                return True
            self.failures += 1
            # Once per outage at error level, then quietly: the retries would flood the log.
            (log.error if self.last_error is None else log.debug)(
                "request log write failed (%d records kept in the journal, retrying with backoff): %s",
                len(batch), _describe(exc))
            self.last_error = _describe(exc)
            with self._lock:
                self._queue.extendleft(reversed(batch))
                self._in_flight = 0
            return False
        if self.last_error is not None:
            log.warning("request log writes resumed after %d failed attempt(s)", self.failures)
            self.last_error = None
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
        failing = False
        while True:
            if failing:
                self._stopping.wait(backoff)  # flush() must not cut a backoff short; close() may
            else:
                self._wake.wait(backoff)
            self._wake.clear()
            failing = False
            while True:
                batch = self._take()
                if not batch:
                    break
                if not self._commit(batch):
                    # Exponential backoff with jitter, so replicas do not retry in lockstep.
                    backoff = min(self.max_backoff_s, max(0.05, backoff) * 2) * random.uniform(0.75, 1.0)
                    failing = True
                    break
                backoff = self.flush_interval_s
            with self._idle:
                self._idle.notify_all()
            if self._stop and (not self._queue or self._give_up):
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
        # While the database is failing, wait only about one retry: the journal keeps the rest.
        done = self.flush(timeout if self.last_error is None else min(timeout, self.max_backoff_s + 1.0))
        self._stop = True
        self._give_up = not done  # the database is down: leave the rest to the journal
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=5.0)
        if self.journal is not None:
            self.journal.close(remove=done and not self._queue)
        if not done:
            log.error("request log: %d records not yet written; they stay in %s and are replayed "
                      "at the next start", self.backlog,
                      self.journal.path if self.journal else "(memory: lost, journaling is off)")


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def write_rejected(path: os.PathLike[str] | str, record: RequestRecord, error: str) -> None:
    """Append a set-aside record (with why and when) to a ``.rejected`` file, created 0600."""
    line = orjson.dumps({"rejected_at": time.time(), "error": error, "record": record}) + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
