"""The `gateway:` section of shoal.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LimitsConfig(BaseModel):
    """Rate limits and budgets; leave a field out for no limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests_per_minute: int | None = Field(default=None, ge=1)
    tokens_per_minute: int | None = Field(default=None, ge=1)
    usd_per_day: float | None = Field(default=None, ge=0)
    usd_per_month: float | None = Field(default=None, ge=0)


class GatewayConfig(BaseModel):
    """Settings of shoal.gateway. Unknown keys are errors (they name the key and the file).

    ``key_limits`` apply to every key that has no limits of its own; ``teams`` set each team's
    shared budget and rate limits (a request must fit both its key's and its team's).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=256)
    auth: bool = Field(default=True, description="require API keys (turn off only on a trusted laptop)")
    admin_key_env: str = Field(default="SHOAL_ADMIN_KEY", description="env var holding the admin key")
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, description="larger bodies get 413")
    scan_inline_bytes: int = Field(
        default=64 * 1024, ge=0, description="request bodies up to this size are parsed and privacy-scanned on "
        "the event loop; larger ones in a worker thread, so a huge prompt does not stall other requests")
    max_scan_chars: int = Field(
        default=2_000_000, ge=1, description="requests with more text than this, counting every field the "
        "privacy scan reads, get 413 prompt_too_large (images' pixel data does not count)")
    log_content: bool = Field(default=True, description="keep prompts and answers in the request log "
                                                        "(the feedback loop needs them)")
    cors_origins: list[str] = Field(default_factory=list, description='e.g. ["https://app.example.com"] or ["*"]')
    key_limits: LimitsConfig = Field(default_factory=LimitsConfig)
    teams: dict[str, LimitsConfig] = Field(default_factory=dict)
    sync_interval_s: float = Field(default=0.2, gt=0, le=60,
                                   description="how often counters are exchanged with the shared store")
    key_cache_ttl_s: float = Field(default=5.0, ge=0, le=3600,
                                   description="how long a key lookup is cached before it is read again")
    key_cache_stale_s: float = Field(default=600.0, ge=0, le=86400,
                                     description="while the store is down, how old a cached key may be and "
                                                 "still be served")
    revocation_check_s: float = Field(default=0.5, ge=0, le=60,
                                      description="how often each process checks for revoked keys "
                                                  "(0: only the key cache TTL)")
    reserve_completion_tokens: int = Field(default=1024, ge=1, le=10_000_000,
                                           description="completion tokens a request without max_tokens "
                                                       "reserves against budgets and token limits")
    reserve_usd_cap: float | None = Field(default=None, gt=0,
                                          description="at most this many USD reserved per request")
    metrics: bool = Field(default=True, description="serve /metrics (Prometheus); it needs the admin key or "
                                                     "the scrape key")
    metrics_key_env: str | None = Field(default="SHOAL_METRICS_KEY",
                                        description="env var holding a key that may read /metrics and nothing "
                                                    "else (for the Prometheus scrape config)")
    idle_timeout_s: float = Field(default=15.0, gt=0, le=3600,
                                  description="close a connection that sends no request for this long "
                                              "(after connecting or after a response)")
    header_timeout_s: float = Field(default=10.0, gt=0, le=600,
                                    description="close a connection whose request headers take longer (408)")
    body_timeout_s: float = Field(default=60.0, gt=0, le=3600,
                                  description="close a connection whose request body takes longer in total")
    collections: list[str] = Field(default_factory=list,
                                   description="RAG collections clients may name as `model`")
