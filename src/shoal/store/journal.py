"""The append-only journal that makes accepted request records survive ``kill -9``.

Each record is appended as one JSON line with a single ``os.write`` on an ``O_APPEND`` file:
once the call returns the bytes are in the kernel's page cache, so a killed process loses
nothing (a power cut can still lose the last moments; ``fsync`` per request would cost ~ms).
A background writer batches records into the database; the journal is truncated only when
everything appended has been committed. At start-up, journals left by dead processes are
replayed (inserts are idempotent on ``request_id``) and removed.

Every process owns one journal file, held with an exclusive ``flock`` so a live process's
journal is never replayed by another.
"""

from __future__ import annotations

import fcntl
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson

from shoal.store.records import RequestRecord

PATTERN = "requests-*.jsonl"


def record_to_json(record: RequestRecord) -> bytes:
    return orjson.dumps(record) + b"\n"


def record_from_dict(data: dict[str, object]) -> RequestRecord:
    fields = RequestRecord.__dataclass_fields__
    return RequestRecord(**{k: v for k, v in data.items() if k in fields})  # type: ignore[arg-type]


class Journal:
    """This process's journal file. ``append`` is called from the event loop; ``truncate`` from the writer."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"requests-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.lock = threading.Lock()  # append + enqueue vs. truncate must not interleave
        self.size = 0

    def append(self, line: bytes) -> None:
        """Caller holds ``self.lock``. One write call: a line is either wholly there or not at all."""
        written = os.write(self._fd, line)
        if written != len(line):  # only on a full disk; finish the line so replay can parse it
            os.write(self._fd, line[written:])
        self.size += len(line)

    def truncate(self) -> None:
        """Caller holds ``self.lock`` and has committed every appended record."""
        os.ftruncate(self._fd, 0)
        self.size = 0

    def close(self, *, remove: bool) -> None:
        if self._fd < 0:
            return
        if remove:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = -1


def orphaned_journals(directory: Path) -> Iterator[tuple[Path, int]]:
    """Journals whose owner is gone (their lock can be taken); yields (path, locked fd)."""
    if not directory.is_dir():
        return
    for path in sorted(directory.glob(PATTERN)):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # a live process owns it
            continue
        yield path, fd


def read_journal(path: Path) -> tuple[list[RequestRecord], int]:
    """Parse a journal; returns the records and how many lines were corrupt (skipped)."""
    records: list[RequestRecord] = []
    bad = 0
    with path.open("rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                data = orjson.loads(line)
                records.append(record_from_dict(data))
            except (orjson.JSONDecodeError, TypeError):
                bad += 1  # e.g. a line cut by a full disk; the rest is still replayed
    return records, bad
