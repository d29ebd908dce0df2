"""The append-only journal that makes accepted request records survive ``kill -9``.

Each record is appended as one JSON line with a single ``os.write`` on an ``O_APPEND`` file:
once the call returns the bytes are in the kernel's page cache, so a killed process loses
nothing (a power cut can still lose the last moments; ``fsync`` per request would cost ~ms).
A background writer batches records into the database; the journal is a chain of segment
files, and a segment is deleted only when every record appended to it has been committed. At start-up, journals left by dead processes are
replayed (inserts are idempotent on ``request_id``) and removed.

Every process owns its journal segments, each held with an exclusive ``flock`` so a live
process's journal is never replayed by another.
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
REJECTED_PATTERN = "*.rejected"


def record_to_json(record: RequestRecord) -> bytes:
    return orjson.dumps(record) + b"\n"


def record_from_dict(data: dict[str, object]) -> RequestRecord:
    fields = RequestRecord.__dataclass_fields__
    return RequestRecord(**{k: v for k, v in data.items() if k in fields})  # type: ignore[arg-type]


class _Segment:
    """One journal file, locked while this process lives; ``end`` = records appended up to its end."""

    __slots__ = ("end", "fd", "path", "size")

    def __init__(self, directory: Path) -> None:
        self.path = directory / f"requests-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.size = 0
        self.end = 0

    def close(self, *, remove: bool) -> None:
        if self.fd < 0:
            return
        if remove:  # unlink while still locked: no other process can start replaying it
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = -1


class Journal:
    """This process's journal: a chain of segment files. ``append`` is called from the event loop;
    ``release`` from the writer.

    Under sustained load the writer's queue is never empty, so "truncate when everything is
    committed" would never happen and one file would grow without bound. Instead the current
    segment is sealed once it reaches ``segment_bytes`` and a new one is started; a sealed
    segment is deleted as soon as every record appended to it has been committed (records are
    committed in append order, so a count is enough).
    """

    def __init__(self, directory: Path, *, segment_bytes: int = 1 << 20) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.segment_bytes = segment_bytes
        self._current = _Segment(directory)
        self._sealed: list[_Segment] = []
        # Poison records set aside by the writer; one stable file per process.
        self.rejected_path = self._current.path.with_suffix(".rejected")
        self.lock = threading.Lock()  # append + enqueue vs. rotate/release must not interleave
        self.appended = 0  # records appended since start

    @property
    def path(self) -> Path:
        """The segment being appended to."""
        return self._current.path

    @property
    def size(self) -> int:
        """Bytes in all segments still on disk."""
        return self._current.size + sum(s.size for s in self._sealed)

    @property
    def segments(self) -> list[Path]:
        return [s.path for s in self._sealed] + [self._current.path]

    def append(self, line: bytes) -> None:
        """Caller holds ``self.lock``. One write call: a line is either wholly there or not at all."""
        seg = self._current
        if seg.size >= self.segment_bytes:
            seg.end = self.appended
            self._sealed.append(seg)
            seg = self._current = _Segment(self.directory)
        written = os.write(seg.fd, line)
        if written != len(line):  # only on a full disk; finish the line so replay can parse it
            os.write(seg.fd, line[written:])
        seg.size += len(line)
        self.appended += 1

    def release(self, committed: int) -> None:
        """Caller holds ``self.lock``; the first ``committed`` appended records are in the database.

        Deletes fully committed sealed segments; empties the current one if it is big and
        everything is committed (a quiet moment), so a lightly loaded process keeps one file.
        """
        while self._sealed and self._sealed[0].end <= committed:
            self._sealed.pop(0).close(remove=True)
        if (not self._sealed and committed >= self.appended
                and self._current.size >= self.segment_bytes):
            os.ftruncate(self._current.fd, 0)
            self._current.size = 0

    def close(self, *, remove: bool) -> None:
        for seg in (*self._sealed, self._current):
            seg.close(remove=remove)
        self._sealed = []


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


def read_rejected_file(path: Path) -> Iterator[tuple[Path, float, str, RequestRecord]]:
    """The set-aside records of one ``.rejected`` file: (file, when, why, record).

    Lines are ``{"rejected_at", "error", "record"}``; a bare record (older files) is read too.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
            if "record" in item:
                yield path, float(item.get("rejected_at") or 0.0), str(item.get("error") or ""), record_from_dict(
                    item["record"])
            else:
                yield path, path.stat().st_mtime, "", record_from_dict(item)
        except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
            continue  # a cut line: the rest of the file still counts


def read_rejected(directory: Path) -> Iterator[tuple[Path, float, str, RequestRecord]]:
    """Every set-aside record under ``directory`` (including files a replay was working on)."""
    if not directory.is_dir():
        return
    for path in sorted([*directory.glob(REJECTED_PATTERN), *directory.glob(REJECTED_PATTERN + ".replaying")]):
        yield from read_rejected_file(path)
