"""The `store:` section of shoal.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class StoreConfig(BaseModel):
    """Settings of shoal.store. Unknown keys are errors (they name the key and the file).

    ``url``: where request logs, keys, feedback and shared counters live. Empty means SQLite at
    ``<data_dir>/shoal.db``; ``sqlite:///path/to.db`` (or a plain path) picks another file;
    ``postgresql://user@host:5432/db`` shares the state between several gateway replicas; other
    schemes come from plug-ins (entry points ``shoal.stores``).
    ``redis_url`` (optional) moves the rate-limit and budget counters to Redis.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = Field(default=None, description="sqlite:///path, a path, or postgresql://...")
    redis_url: str | None = Field(default=None, description="redis://host:6379/0 for shared counters")
    redis_prefix: str = Field(default="shoal", min_length=1, max_length=100,
                              description="prefix of Shoal's Redis keys (several deployments on one Redis)")
    journal: bool = Field(default=True, description="append each request record to a local journal "
                                                    "before the database write (survives kill -9)")
    flush_interval_s: float = Field(default=0.2, gt=0, le=60, description="background write batching")
    batch_size: int = Field(default=500, ge=1, le=100_000)
    timeout_s: float = Field(default=5.0, gt=0, le=300, description="longest one database or Redis call may "
                                                                     "take before it is cut and retried")

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is None or "://" not in value:
            return value
        # Backends are plug-ins (entry points ``shoal.stores``), so the known schemes are the installed ones.
        from shoal.store.registry import scheme_of, schemes

        scheme, known = scheme_of(value), schemes()
        if known and scheme not in known:
            raise ValueError(f"unsupported store scheme {scheme!r}; use one of "
                             + ", ".join(f"{s}://..." for s in known))
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis_url must start with redis://, rediss:// or unix://")
        return value
