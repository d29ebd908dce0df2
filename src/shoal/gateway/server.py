"""Building the gateway from settings, and running it under uvicorn (uvloop + httptools, with connection
timeouts: see ``shoal.gateway.timeouts``)."""

from __future__ import annotations

import functools
import logging
import os
from typing import TYPE_CHECKING, Any

from shoal.gateway.app import GatewayApp
from shoal.gateway.auth import Authenticator
from shoal.gateway.dashboard_sources import sources_for
from shoal.gateway.limits import Limiter
from shoal.gateway.metrics import Metrics
from shoal.gateway.state import GatewayState, limits_of
from shoal.gateway.storecall import StoreGuard
from shoal.pipeline import DirectCaller, DirectPolicy, Pipeline
from shoal.store import Store
from shoal.store.counters import SqlCounters
from shoal.wiring import open_store

if TYPE_CHECKING:
    from shoal.config import Settings

log = logging.getLogger("shoal.gateway")


def default_pipeline(settings: Settings, catalog: Any) -> Pipeline:
    """The lead's wiring (privacy scan, policy, fallbacks, RAG) when present, else the direct path."""
    try:
        from shoal.wiring import build_pipeline  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        log.warning("shoal.wiring is not available: serving without privacy routing or fallbacks")
        return Pipeline(policy=DirectPolicy(catalog.default_model), caller=DirectCaller(catalog))
    pipeline: Pipeline = build_pipeline(settings, catalog)
    return pipeline


def build_app(settings: Settings, *, catalog: Any = None, pipeline: Pipeline | None = None,
              store: Store | None = None, admin_key: str | None = None, tune_process: bool = False) -> GatewayApp:
    """The ASGI app for ``settings``; every dependency can be injected (tests pass doubles).

    ``tune_process``: the app owns its process (``serve``); see ``shoal.gateway.app.tune_interpreter``.
    """
    if catalog is None:
        from shoal.wiring import catalog as build_catalog

        catalog = build_catalog(settings)
    if pipeline is None:
        pipeline = default_pipeline(settings, catalog)
    cfg = settings.config.gateway
    if store is None:
        store = open_store(settings, background_writes=True)
    elif store.writer is None:
        store.start_writer()
    if admin_key is None:
        admin_key = os.environ.get(cfg.admin_key_env) or None
    timeout = min(store.backend.timeout_s or 5.0, 2.0)  # a request waits at most this for the store
    db_guard = StoreGuard("the store database", timeout_s=timeout, is_transient=store.backend.is_transient)
    # Redis errors are all about reaching it (the script itself is ours): every failure counts as down.
    counter_guard = (db_guard if isinstance(store.counters, SqlCounters) else
                     StoreGuard("the Redis counters", timeout_s=timeout, is_transient=lambda exc: True))
    collections = set(cfg.collections)
    if pipeline.retriever is not None:
        collections.add(settings.config.rag.collection)
    state = GatewayState(
        pipeline=pipeline, catalog=catalog, store=store, config=cfg,
        auth=Authenticator(store, admin_key=admin_key, ttl_s=cfg.key_cache_ttl_s, required=cfg.auth,
                           default_limits=limits_of(cfg.key_limits), guard=db_guard, stale_s=cfg.key_cache_stale_s,
                           revocation_check_s=cfg.revocation_check_s),
        limiter=Limiter(store.counters, sync_interval_s=cfg.sync_interval_s, guard=counter_guard),
        metrics=Metrics(frozenset(catalog.configured_names()) | collections),
        guards=(db_guard,) if counter_guard is db_guard else (db_guard, counter_guard),
        collections=frozenset(collections), team_limits={t: limits_of(lc) for t, lc in cfg.teams.items()},
        dashboard=sources_for(settings, catalog))
    metrics_key = os.environ.get(cfg.metrics_key_env) or None if cfg.metrics_key_env else None
    return GatewayApp(state, tune_process=tune_process, metrics_key=metrics_key)


def app_from_env() -> GatewayApp:
    """App factory for ``uvicorn --factory`` and multi-worker serving (reads ``$SHOAL_CONFIG``)."""
    from shoal.config import load_settings

    return build_app(load_settings(), tune_process=True)


def worker_app(settings: Settings) -> GatewayApp:
    """App factory of one worker process: the parent's validated settings arrive pickled with
    uvicorn's config (``functools.partial``), so nothing is handed over through the environment."""
    return build_app(settings, tune_process=True)


def serve(settings: Settings, *, host: str | None = None, port: int | None = None, workers: int | None = None,
          log_level: str = "warning") -> None:
    """Run the gateway until interrupted; shutdown flushes the request log."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from shoal.gateway.timeouts import ShoalUvicornConfig, server_timeouts

    cfg = settings.config.gateway
    host = host or cfg.host
    port = cfg.port if port is None else port
    workers = workers or cfg.workers
    # No X-Forwarded-* rewriting (the gateway never looks at the client address) and no
    # "server: uvicorn" header: a middleware layer and a header less on every request.
    common: dict[str, Any] = {"host": host, "port": port, "loop": "uvloop", "lifespan": "on", "access_log": False,
                              "log_level": log_level, "timeout_graceful_shutdown": 30, "proxy_headers": False,
                              "server_header": False, "timeouts": server_timeouts(cfg)}
    if workers > 1:
        config = ShoalUvicornConfig(functools.partial(worker_app, settings), factory=True, workers=workers, **common)
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server = uvicorn.Server(ShoalUvicornConfig(build_app(settings, tune_process=True), **common))
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        if not server.started:
            raise SystemExit(3)  # uvicorn's exit status for a failed startup (port taken, lifespan error)
