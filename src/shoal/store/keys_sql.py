"""API keys: generation, hashing and CRUD.

Keys are ``sk-shoal-`` followed by 32 random bytes (256 bits) in URL-safe base64. With that much
entropy a plain SHA-256 is enough: nothing can be brute-forced from a leaked hash, so no pepper
(a second secret to manage and rotate) is needed. Only the hash and a short display prefix are
stored; the key is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from typing import Any

import orjson

from shoal.errors import NotFoundError, ShoalError
from shoal.store.backend import Backend
from shoal.store.records import ApiKey, Limits

KEY_PREFIX = "sk-shoal-"
_COLUMNS = ("key_id, key_hash, prefix, name, team, user_name, segment, groups_json, limits_json, "
            "created_at, revoked_at")


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _from_row(row: Any) -> ApiKey:
    return ApiKey(key_id=row[0], key_hash=row[1], prefix=row[2], name=row[3], team=row[4], user=row[5],
                  segment=row[6], groups=frozenset(orjson.loads(row[7])), limits=Limits.from_dict(orjson.loads(row[8])),
                  created_at=float(row[9]), revoked_at=None if row[10] is None else float(row[10]))


def create(backend: Backend, *, team: str | None, user: str | None, segment: str | None,
           groups: Iterable[str], name: str, limits: Limits) -> tuple[ApiKey, str]:
    for label, value in (("team", team), ("user", user), ("segment", segment), ("name", name)):
        if value is not None and len(value) > 200:
            raise ShoalError(f"key {label} is too long ({len(value)} characters, at most 200)")
    secret = new_secret()
    key = ApiKey(key_id="key_" + secrets.token_hex(6), key_hash=hash_key(secret), prefix=secret[:13],
                 team=team, user=user, segment=segment, groups=frozenset(groups), name=name, limits=limits,
                 created_at=time.time())
    with backend.transaction() as cur:
        cur.execute(f"INSERT INTO api_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (key.key_id, key.key_hash, key.prefix, key.name, key.team, key.user, key.segment,
                     orjson.dumps(sorted(key.groups)).decode(), orjson.dumps(limits.as_dict()).decode(),
                     key.created_at, None))
    return key, secret


def by_hash(backend: Backend, key_hash: str) -> ApiKey | None:
    with backend.transaction() as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE key_hash = ?", (key_hash,))
        row = cur.fetchone()
    return None if row is None else _from_row(row)


def get(backend: Backend, key_id: str) -> ApiKey:
    with backend.transaction() as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,))
        row = cur.fetchone()
    if row is None:
        raise NotFoundError(f"no API key with id {key_id!r}", hint="`shoal keys list` shows the ids")
    return _from_row(row)


def list_keys(backend: Backend, *, team: str | None, include_revoked: bool) -> list[ApiKey]:
    sql = f"SELECT {_COLUMNS} FROM api_keys"
    clauses, params = [], []
    if team is not None:
        clauses.append("team = ?")
        params.append(team)
    if not include_revoked:
        clauses.append("revoked_at IS NULL")
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    with backend.transaction() as cur:
        cur.execute(sql + " ORDER BY created_at", params)
        return [_from_row(r) for r in cur.fetchall()]


def revoke(backend: Backend, key_id: str) -> ApiKey:
    key = get(backend, key_id)
    if key.revoked_at is not None:
        return key
    now = time.time()
    with backend.transaction() as cur:
        cur.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", (now, key_id))
    return get(backend, key_id)


def revoked_since(backend: Backend, since: float) -> list[tuple[str, float]]:
    with backend.transaction() as cur:
        cur.execute("SELECT key_hash, revoked_at FROM api_keys WHERE revoked_at >= ?", (since,))
        return [(str(r[0]), float(r[1])) for r in cur.fetchall()]
