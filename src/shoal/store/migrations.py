"""Numbered, named schema migrations, applied in order and recorded in ``_shoal_migrations``.

The SQL is written once for both SQLite and PostgreSQL (``DOUBLE PRECISION`` and ``BIGINT`` are
understood by both). A migration is never edited after release: add a new one instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from shoal.store import rollups
from shoal.store.backend import Backend, Cursor


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str
    statements: tuple[str, ...]
    # Python run after the statements, in the same transaction (e.g. filling a new table from
    # existing rows when SQL alone would differ between SQLite and PostgreSQL).
    after: Callable[[Cursor], None] | None = None


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "request_log", (
        """CREATE TABLE requests (
            request_id TEXT PRIMARY KEY,
            ts DOUBLE PRECISION NOT NULL,
            endpoint TEXT NOT NULL,
            key_id TEXT, team TEXT, user_name TEXT, segment TEXT,
            requested_model TEXT, served_model TEXT, served_model_id TEXT,
            route TEXT, route_reasons TEXT NOT NULL DEFAULT '[]',
            sensitivity TEXT, sensitivity_reasons TEXT NOT NULL DEFAULT '[]',
            prompt_tokens BIGINT NOT NULL DEFAULT 0, completion_tokens BIGINT NOT NULL DEFAULT 0,
            cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0, latency_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
            status INTEGER NOT NULL, error TEXT, stream INTEGER NOT NULL DEFAULT 0,
            collection TEXT, citations TEXT NOT NULL DEFAULT '[]',
            request_messages TEXT, response_text TEXT)""",
        "CREATE INDEX requests_ts ON requests (ts)",
        "CREATE INDEX requests_team_ts ON requests (team, ts)",
        "CREATE INDEX requests_key_ts ON requests (key_id, ts)",
    )),
    Migration(2, "api_keys", (
        """CREATE TABLE api_keys (
            key_id TEXT PRIMARY KEY,
            key_hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            team TEXT, user_name TEXT, segment TEXT,
            groups_json TEXT NOT NULL DEFAULT '[]',
            limits_json TEXT NOT NULL DEFAULT '{}',
            created_at DOUBLE PRECISION NOT NULL,
            revoked_at DOUBLE PRECISION)""",
        "CREATE INDEX api_keys_team ON api_keys (team)",
    )),
    Migration(3, "feedback", (
        """CREATE TABLE feedback (
            id TEXT PRIMARY KEY,
            request_id TEXT NOT NULL,
            ts DOUBLE PRECISION NOT NULL,
            rating INTEGER, correction TEXT, comment TEXT,
            source TEXT NOT NULL DEFAULT 'api',
            team TEXT, user_name TEXT,
            status TEXT NOT NULL DEFAULT 'pending',
            original_response TEXT,
            edited_correction TEXT, reviewer TEXT, reviewed_at DOUBLE PRECISION)""",
        "CREATE INDEX feedback_request ON feedback (request_id)",
        "CREATE INDEX feedback_team_status ON feedback (team, status)",
    )),
    Migration(4, "usage_counters", (
        # Shared rate-limit / budget counters: one row per (scope, window), incremented by deltas
        # from every gateway process (see shoal.gateway.limits for the consistency model).
        """CREATE TABLE usage_counters (
            scope TEXT NOT NULL,
            win TEXT NOT NULL,
            requests BIGINT NOT NULL DEFAULT 0,
            tokens BIGINT NOT NULL DEFAULT 0,
            usd DOUBLE PRECISION NOT NULL DEFAULT 0,
            expires_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (scope, win))""",
        "CREATE INDEX usage_counters_expiry ON usage_counters (expires_at)",
    )),
    # Dashboard rollups, kept up to date by every insert (shoal.store.rollups). Records written
    # before this migration are counted once, here.
    Migration(5, "rollups", rollups.SCHEMA, after=rollups.backfill),
    # Keyset pagination of the request log per team and model (dashboard Requests page).
    Migration(6, "request_log_indexes", (
        "CREATE INDEX requests_ts_id ON requests (ts, request_id)",
        "CREATE INDEX requests_model_ts ON requests (served_model, ts)",
    )),
    # Tokens per minute per scope (everything, team, model): peak load for GPU sizing (shoal tco).
    Migration(7, "rollup_peak", rollups.PEAK_SCHEMA),
    # Time to first token; daily rollups for long windows (filled from the hourly ones).
    Migration(8, "rollup_day_ttft", rollups.DAY_TTFT_SCHEMA),
    # The Requests page's filters, so a rare combination (one team's 500s from one model, one
    # user) is an index range rather than a walk of the whole window. ``requests_ts`` is covered
    # by ``requests_ts_id`` (same leading column): dropping it keeps the cost per insert level.
    Migration(9, "request_filter_indexes", (
        "CREATE INDEX requests_team_model_status_ts ON requests (team, served_model, status, ts)",
        "CREATE INDEX requests_status_ts ON requests (status, ts)",
        "CREATE INDEX requests_user_ts ON requests (user_name, ts)",
        "DROP INDEX IF EXISTS requests_ts",
    )),
    # Spend per user / key over long windows: whole weeks, then the ragged days.
    Migration(10, "rollup_week_who", rollups.WEEK_WHO_SCHEMA),
)


def migrate(backend: Backend, *, migrations: tuple[Migration, ...] = MIGRATIONS,
            log: Callable[[str], None] | None = None) -> list[Migration]:
    """Apply the migrations not applied yet; returns those applied now. Safe to run concurrently."""
    applied_now: list[Migration] = []
    with backend.transaction() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS _shoal_migrations (number INTEGER PRIMARY KEY, "
                    "name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)")
    for migration in migrations:
        with backend.transaction(exclusive=True) as cur:
            # Re-check inside the (locking) transaction: another process may have applied it.
            cur.execute("SELECT number FROM _shoal_migrations WHERE number = ?", (migration.number,))
            if cur.fetchone() is not None:
                continue
            for statement in migration.statements:
                cur.execute(statement)
            if migration.after is not None:
                migration.after(cur)
            cur.execute("INSERT INTO _shoal_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                        (migration.number, migration.name, time.time()))
            applied_now.append(migration)
            if log:
                log(f"applied migration {migration.number:04d}_{migration.name}")
    return applied_now


def applied(backend: Backend) -> list[tuple[int, str]]:
    with backend.transaction() as cur:
        cur.execute("SELECT number, name FROM _shoal_migrations ORDER BY number")
        return [(int(r[0]), str(r[1])) for r in cur.fetchall()]
