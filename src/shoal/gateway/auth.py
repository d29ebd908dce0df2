"""Who is calling: API keys (hashed, cached lookups) and the admin key from the environment."""

from __future__ import annotations

import asyncio
import hmac
import time
from dataclasses import dataclass

from shoal.gateway.http import ApiError, Scope, header
from shoal.principal import Principal
from shoal.store import ApiKey, Limits, Store
from shoal.store.keys_sql import hash_key
from shoal.store.records import NO_LIMITS

_CACHE_MAX = 100_000


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


class Authenticator:
    """Turns the request's key into a ``Caller``. Lookups are cached for ``ttl_s`` (also misses)."""

    def __init__(self, store: Store, *, admin_key: str | None, ttl_s: float, required: bool,
                 default_limits: Limits) -> None:
        self.store = store
        self._admin_hash = hash_key(admin_key) if admin_key else None
        self.ttl_s = ttl_s
        self.required = required
        self.default_limits = default_limits
        self._cache: dict[str, tuple[Caller | None, float]] = {}

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
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[1] > now:
            caller = hit[0]
        else:
            key = await asyncio.to_thread(self.store.key_by_hash, digest)
            caller = self._caller(key) if key is not None and key.active else None
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[digest] = (caller, now + self.ttl_s)
        if caller is None:
            # Never echo the key; a short prefix would not help an attacker but is not needed either.
            raise ApiError(401, "invalid or revoked API key", type="authentication_error", code="invalid_api_key")
        return caller

    def invalidate(self) -> None:
        """Forget cached lookups (after a revocation in this process)."""
        self._cache.clear()
