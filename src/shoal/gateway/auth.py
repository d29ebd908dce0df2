"""Who is calling: API keys (hashed, cached lookups) and the admin key from the environment."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from dataclasses import dataclass

from shoal.gateway.http import ApiError, Scope, header
from shoal.gateway.storecall import StoreGuard, unavailable
from shoal.principal import Principal
from shoal.store import ApiKey, Limits, Store
from shoal.store.backend import StoreUnavailableError
from shoal.store.keys_sql import hash_key
from shoal.store.records import NO_LIMITS

_CACHE_MAX = 100_000
log = logging.getLogger("shoal.gateway")


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller of one request."""

    principal: Principal
    key_id: str | None = None
    admin: bool = False
    limits: Limits = NO_LIMITS

    @property
    def team(self) -> str | None:
        return self.principal.team


ADMIN = Caller(Principal(user="admin"), key_id="admin", admin=True)
ANONYMOUS = Caller(Principal(user="anonymous"))


def _secret(scope: Scope) -> str | None:
    value = header(scope, b"authorization")
    if value is not None:
        scheme, _, token = value.decode("latin-1").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return None
    value = header(scope, b"x-api-key")  # Anthropic SDK
    return value.decode("latin-1").strip() if value else None


class _Entry:
    __slots__ = ("caller", "expires", "fetched")

    def __init__(self, caller: Caller | None, expires: float, fetched: float) -> None:
        self.caller = caller
        self.expires = expires
        self.fetched = fetched


class Authenticator:
    """Turns the request's key into a ``Caller``.

    Lookups (hits and misses) are cached for ``ttl_s``. Revocations reach every process within
    ``revocation_check_s``: ``watch_revocations`` polls the store for keys revoked lately and drops
    them from the cache. When the store does not answer, a cached entry is served for up to
    ``stale_s`` after it was fetched (stale-while-error); a key never seen, or seen too long ago,
    gets 503 ``store_unavailable`` — never a 401 for a key that may be valid, never a 500.
    """

    def __init__(self, store: Store, *, admin_key: str | None, ttl_s: float, required: bool,
                 default_limits: Limits, guard: StoreGuard | None = None, stale_s: float = 600.0,
                 revocation_check_s: float = 0.5) -> None:
        self.store = store
        self._admin_hash = hash_key(admin_key) if admin_key else None
        self.ttl_s = ttl_s
        self.stale_s = stale_s
        self.revocation_check_s = revocation_check_s
        self.required = required
        self.default_limits = default_limits
        self.guard = guard or StoreGuard("the key store", timeout_s=5.0, is_transient=store.backend.is_transient)
        self._cache: dict[str, _Entry] = {}
        self._loading: dict[str, asyncio.Future[Caller | None]] = {}
        self._task: asyncio.Task[None] | None = None

    def _caller(self, key: ApiKey) -> Caller:
        return Caller(Principal(user=key.user, groups=key.groups, team=key.team, segment=key.segment),
                      key_id=key.key_id, limits=key.limits if not key.limits.empty else self.default_limits)

    async def authenticate(self, scope: Scope) -> Caller:
        secret = _secret(scope)
        if secret is None:
            if not self.required:
                return ANONYMOUS
            raise ApiError(401, "missing API key: send 'Authorization: Bearer <key>' (or 'x-api-key')",
                           type="authentication_error", code="missing_api_key")
        digest = hash_key(secret)
        if self._admin_hash is not None and hmac.compare_digest(digest, self._admin_hash):
            return ADMIN
        hit = self._cache.get(digest)
        if hit is not None and hit.expires > time.monotonic():
            caller = hit.caller
        else:
            caller = await self._lookup(digest, hit)
        if caller is None:
            # Never echo the key; a short prefix would not help an attacker but is not needed either.
            raise ApiError(401, "invalid or revoked API key", type="authentication_error", code="invalid_api_key")
        return caller

    async def _lookup(self, digest: str, hit: _Entry | None) -> Caller | None:
        loading = self._loading.get(digest)
        if loading is not None:  # one lookup per key at a time, however many requests wait for it
            return await asyncio.shield(loading)
        future: asyncio.Future[Caller | None] = asyncio.get_running_loop().create_future()
        self._loading[digest] = future
        try:
            caller = await self._fetch(digest, hit)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it; no "never retrieved" warning
            raise
        else:
            future.set_result(caller)
            return caller
        finally:
            del self._loading[digest]

    async def _fetch(self, digest: str, hit: _Entry | None) -> Caller | None:
        try:
            key = await self.guard.call(self.store.key_by_hash, digest)
        except StoreUnavailableError:
            now = time.monotonic()
            if hit is not None and now - hit.fetched <= self.stale_s:
                return hit.caller  # stale-while-error: the store is down, the key was fine recently
            raise unavailable("the key store") from None
        caller = self._caller(key) if key is not None and key.active else None
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        now = time.monotonic()
        self._cache[digest] = _Entry(caller, now + self.ttl_s, now)
        return caller

    def invalidate(self) -> None:
        """Forget cached lookups (after a revocation in this process)."""
        self._cache.clear()

    # --- revocations from other processes --------------------------------------------------------

    async def check_revocations(self, since: float) -> None:
        """Drop keys revoked at or after ``since`` (wall clock) from the cache."""
        revoked = await self.guard.call(self.store.revoked_since, since)
        for digest, _ in revoked:
            entry = self._cache.get(digest)
            if entry is None or entry.caller is not None:
                now = time.monotonic()
                self._cache[digest] = _Entry(None, now + self.ttl_s, now)

    async def watch_revocations(self) -> None:
        # Look back 30 s past the last good check: covers clock skew between hosts and a revoke
        # committed while the previous check ran.
        last_ok = time.time()
        while True:
            await asyncio.sleep(self.revocation_check_s)
            started = time.time()
            try:
                await self.check_revocations(last_ok - 30.0)
                last_ok = started
            except StoreUnavailableError:
                continue  # the store is down: nobody can revoke either; catch up once it is back
            except Exception:  # keep watching
                log.exception("checking for revoked keys failed")

    def start(self) -> None:
        if self._task is None and self.revocation_check_s > 0:
            self._task = asyncio.get_running_loop().create_task(self.watch_revocations())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
