"""``Store``: the request log, API keys, feedback and shared counters behind one object."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from shoal.errors import NotFoundError
from shoal.store import feedback_sql, keys_sql, requests_sql
from shoal.store.backend import Backend
from shoal.store.counters import Counters, RedisCounters, SqlCounters
from shoal.store.dashboard_sql import first_ts
from shoal.store.journal import (
    REJECTED_PATTERN,
    Journal,
    orphaned_journals,
    read_journal,
    read_rejected,
    read_rejected_file,
)
from shoal.store.migrations import migrate
from shoal.store.records import NO_LIMITS, ApiKey, Feedback, Limits, RequestFilter, RequestRecord, UsageRow
from shoal.store.writer import RecordWriter, write_rejected

log = logging.getLogger("shoal.store")


class Store:
    """All persistence of Shoal. Thread-safe; methods are synchronous (call them off the event loop).

    With ``start_writer`` the request log is written in the background (see ``RecordWriter``):
    ``record_request`` returns after the journal append, and reads still see the record.
    """

    def __init__(self, backend: Backend, *, journal_dir: Path | None = None, redis_url: str | None = None,
                 flush_interval_s: float = 0.2, batch_size: int = 500, timeout_s: float = 5.0,
                 redis_prefix: str = "shoal") -> None:
        self.backend = backend
        self.journal_dir = journal_dir
        self.flush_interval_s = flush_interval_s
        self.batch_size = batch_size
        self.writer: RecordWriter | None = None
        self.counters: Counters = (RedisCounters(redis_url, timeout_s=min(timeout_s, 2.0), prefix=redis_prefix) if redis_url
                                   else SqlCounters(backend))
        migrate(backend, log=log.info)

    # --- lifecycle --------------------------------------------------------------------------------

    def replay_journals(self) -> int:
        """Insert records left in journals of processes that died; returns how many were replayed.

        With the writer running they go through it (re-journaled here first, so a crash in
        between loses nothing, and a database outage only delays them). Without it they are
        inserted now; records the database refuses alone are set aside (see ``rejected``), and
        a transient failure leaves the journal in place and raises.
        """
        if self.journal_dir is None:
            return 0
        if self.writer is None:
            self.ping()
        total = 0
        for path, fd in orphaned_journals(self.journal_dir):
            try:
                records, bad = read_journal(path)
                if self.writer is not None:
                    for record in records:
                        self.writer.submit(record)
                else:
                    for i in range(0, len(records), self.batch_size):
                        self._insert_or_set_aside(records[i:i + self.batch_size])
                if bad:
                    log.warning("journal %s: skipped %d corrupt line(s)", path, bad)
                total += len(records)
                path.unlink()
            finally:
                os.close(fd)
        if total:
            log.info("replayed %d request record(s) from journals in %s", total, self.journal_dir)
        return total

    def _insert_or_set_aside(self, records: list[RequestRecord]) -> int:
        """Insert now; a record refused alone by a healthy database goes to a ``.rejected`` file.
        Returns how many were set aside; raises on a transient failure (nothing is set aside)."""
        try:
            self._insert(records)
            return 0
        except Exception as exc:
            if self.backend.is_transient(exc):
                raise
        refused: list[tuple[RequestRecord, BaseException]] = []
        for record in records:
            try:
                self._insert([record])
            except Exception as exc:
                if self.backend.is_transient(exc) or not self.healthy():
                    raise
                refused.append((record, exc))
        if refused and self.journal_dir is not None:
            self.journal_dir.mkdir(parents=True, exist_ok=True)
            target = self.journal_dir / f"replay-{os.getpid()}-{uuid.uuid4().hex[:8]}.rejected"
            for record, error in refused:
                write_rejected(target, record, f"{type(error).__name__}: {error}".splitlines()[0])
        return len(refused)

    def rejected(self) -> list[tuple[Path, float, str, RequestRecord]]:
        """Records set aside because the database refused them: (file, when, why, record), oldest first."""
        if self.journal_dir is None:
            return []
        return sorted(read_rejected(self.journal_dir), key=lambda item: item[1])

    def replay_rejected(self) -> tuple[int, int]:
        """Try every set-aside record again (e.g. after fixing the schema or the data).

        Returns (stored, still refused). Records still refused stay set aside; a transient
        failure raises and leaves every file as it was.
        """
        if self.journal_dir is None:
            return 0, 0
        self.ping()
        stored = refused = 0
        for path in sorted(self.journal_dir.glob(REJECTED_PATTERN)):
            # Move the file out of the way first: a live gateway appending to its own file then
            # starts a new one, and a crash here leaves the records in the moved file (still listed).
            work = path.with_name(path.name + ".replaying")
            os.replace(path, work)
            records = [record for _, _, _, record in read_rejected_file(work)]
            try:
                left = self._insert_or_set_aside(records) if records else 0
            except Exception:
                os.replace(work, path)
                raise
            work.unlink()
            stored += len(records) - left
            refused += left
        return stored, refused

    def healthy(self) -> bool:
        """Whether the database answers a trivial query now."""
        try:
            self.ping()
        except Exception:  # noqa: BLE001 - the answer is the point
            return False
        return True

    def start_writer(self) -> RecordWriter:
        """Replay orphaned journals, then write the request log in the background."""
        if self.writer is None:
            journal = Journal(self.journal_dir) if self.journal_dir is not None else None
            self.writer = RecordWriter(self._insert, journal, flush_interval_s=self.flush_interval_s,
                                       batch_size=self.batch_size, is_transient=self.backend.is_transient,
                                       healthy=self.healthy)
            self.replay_journals()  # through the writer: an outage or a poison record cannot stop start-up
        return self.writer

    def _insert(self, records: list[RequestRecord]) -> None:
        requests_sql.insert(self.backend, records)

    def flush(self, timeout: float = 30.0) -> bool:
        return self.writer.flush(timeout) if self.writer is not None else True

    def close(self) -> None:
        """Flush the request log and close connections."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if isinstance(self.counters, RedisCounters):
            self.counters.close()
        self.backend.close()

    def describe(self) -> str:
        return self.backend.describe()

    def ping(self) -> None:
        """One round trip to the database (raises if it is unreachable).

        A connection cut while idle (an outage, a failover) only shows on its next use: one
        transient failure drops it, and the second try runs on a fresh connection.
        """
        for attempt in (1, 2):
            try:
                with self.backend.transaction() as cur:
                    cur.execute("SELECT 1")
                    cur.fetchone()
                return
            except Exception as exc:
                if attempt == 2 or not self.backend.is_transient(exc):
                    raise

    # --- request log ------------------------------------------------------------------------------

    def record_request(self, record: RequestRecord) -> None:
        """Accept one record. With the writer running this never waits on the database."""
        if self.writer is not None:
            self.writer.submit(record)
        else:
            requests_sql.insert(self.backend, [record])

    def get_request(self, request_id: str, *, team: str | None = None) -> RequestRecord:
        """The record of ``request_id``; with ``team``, only if it belongs to that team."""
        record = self.writer.pending.get(request_id) if self.writer is not None else None
        if record is None:
            record = requests_sql.get(self.backend, request_id)
        if record is None or (team is not None and record.team != team):
            raise NotFoundError(f"no request with id {request_id!r}",
                                hint="request ids are in the x-shoal-request-id response header")
        return record

    def query_requests(self, filters: RequestFilter | None = None, limit: int = 100, *,
                       oldest_first: bool = False) -> list[RequestRecord]:
        """Records matching ``filters``, newest first (or oldest first), at most ``limit``."""
        self.flush(5.0)
        return requests_sql.query(self.backend, filters or RequestFilter(), limit, oldest_first=oldest_first)

    def usage(self, group_by: str = "team", *, since: float | None = None, until: float | None = None,
              team: str | None = None, endpoint: str | None = None) -> list[UsageRow]:
        """Requests, errors, tokens and cost per group (team, user, segment, model, key, route...)."""
        self.flush(5.0)
        return requests_sql.usage(self.backend, group_by,
                                  RequestFilter(team=team, since=since, until=until, endpoint=endpoint))

    def usage_by_model(self, group_by: str = "team", *, since: float | None = None, until: float | None = None,
                       team: str | None = None, endpoint: str | None = None) -> list[tuple[str | None, UsageRow]]:
        """``usage`` split by served model: ``(model, row)`` pairs (self-hosted cost allocation)."""
        self.flush(5.0)
        return requests_sql.usage_by_model(self.backend, group_by,
                                           RequestFilter(team=team, since=since, until=until, endpoint=endpoint))

    def first_request_ts(self) -> float | None:
        """When the log starts (hour precision, from the rollups), or None when it is empty."""
        self.flush(5.0)
        return first_ts(self.backend)

    # --- feedback ---------------------------------------------------------------------------------

    def add_feedback(self, request_id: str, rating: int | None = None, correction: str | None = None,
                     comment: str | None = None, source: str = "api", team: str | None = None,
                     user: str | None = None) -> str:
        """Store feedback on a request (of ``team`` when given); returns the feedback id.

        The original answer is copied beside the correction so a later log purge keeps the pair.
        """
        feedback_sql.validate(rating, correction, comment)
        request = self.get_request(request_id, team=team)
        return feedback_sql.add(self.backend, request_id=request_id, rating=rating, correction=correction,
                                comment=comment, source=source, team=request.team if team is None else team,
                                user=user if user is not None else request.user,
                                original_response=request.response_text)

    def list_feedback(self, status: str | None = None, team: str | None = None, *,
                      request_id: str | None = None, limit: int = 1000) -> list[Feedback]:
        return feedback_sql.list_feedback(self.backend, status=status, team=team, request_id=request_id,
                                          limit=limit)

    def get_feedback(self, feedback_id: str, *, team: str | None = None) -> Feedback:
        return feedback_sql.get(self.backend, feedback_id, team)

    def set_feedback_status(self, feedback_id: str, status: str, edited_correction: str | None = None,
                            reviewer: str | None = None) -> Feedback:
        return feedback_sql.set_status(self.backend, feedback_id, status, edited_correction=edited_correction,
                                       reviewer=reviewer)

    # --- API keys ---------------------------------------------------------------------------------

    def create_key(self, *, team: str | None = None, user: str | None = None, segment: str | None = None,
                   groups: Iterable[str] = (), name: str = "", limits: Limits = NO_LIMITS) -> tuple[ApiKey, str]:
        """Create a key; returns the stored record and the secret (shown once, never stored)."""
        return keys_sql.create(self.backend, team=team, user=user, segment=segment, groups=groups, name=name,
                               limits=limits)

    def find_key(self, secret: str) -> ApiKey | None:
        """The active key with this secret, or None."""
        key = keys_sql.by_hash(self.backend, keys_sql.hash_key(secret))
        return key if key is not None and key.active else None

    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        return keys_sql.by_hash(self.backend, key_hash)

    def get_key(self, key_id: str) -> ApiKey:
        return keys_sql.get(self.backend, key_id)

    def list_keys(self, *, team: str | None = None, include_revoked: bool = False) -> list[ApiKey]:
        return keys_sql.list_keys(self.backend, team=team, include_revoked=include_revoked)

    def revoke_key(self, key_id: str) -> ApiKey:
        return keys_sql.revoke(self.backend, key_id)

    def revoked_since(self, since: float) -> list[tuple[str, float]]:
        """(key hash, revoked_at) of keys revoked at or after ``since`` (running gateways poll this)."""
        return keys_sql.revoked_since(self.backend, since)
