"""The dashboard: static assets at ``/dashboard`` and its JSON API under ``/v1/dashboard/``.

Every endpoint reads the store's rollups (``shoal.store.dashboard_sql``), never a scan of the
request log; the request list is a keyset page through an index. The admin key sees every team;
a team key sees its own team only (asking for another is a 403); a key without a team cannot use
the dashboard. Request content is shown only where the viewer may read it: the admin always, a
team key for its own team's requests that were not sensitive; the Privacy page never shows it.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from shoal.costs.allocation import UsageCell, allocate
from shoal.costs.report import CostInputs, report_for, traffic_for
from shoal.costs.tco import default_buy_model
from shoal.costs.traffic import RouterPoint, Traffic, is_sensitive
from shoal.costs.whatif import router_models
from shoal.gateway.admin import query_params
from shoal.gateway.auth import Caller
from shoal.gateway.http import ApiError, Scope, Send
from shoal.gateway.state import GatewayState
from shoal.gateway.validate import bad
from shoal.models.types import ModelSpec
from shoal.store import dashboard_sql as dash
from shoal.store.records import RequestRecord

log = logging.getLogger("shoal.gateway")

ASSETS = {"": ("index.html", b"text/html; charset=utf-8"), "app.js": ("app.js", b"text/javascript; charset=utf-8"),
          "app.css": ("app.css", b"text/css; charset=utf-8")}
_DAY = 86400.0
_MAX_SPAN = 400 * _DAY
_TRAFFIC_TTL_S = 60.0


@dataclass(slots=True)
class DashboardSources:
    """What the dashboard reads besides the store (each a callable, so nothing loads until asked)."""

    specs: Callable[[], list[ModelSpec]] = list
    costs: CostInputs | None = None
    evals: Callable[[], dict[str, Any]] = field(default=lambda: {"runs": []})
    registry: Callable[[], dict[str, Any]] = field(default=lambda: {"models": []})
    datasets: Callable[[], list[dict[str, Any]]] = list


def load_asset(name: str) -> bytes:
    return resources.files("shoal.gateway").joinpath("dashboard_assets", name).read_bytes()


async def send_asset(send: Send, rest: str) -> None:
    entry = ASSETS.get(rest)
    if entry is None:
        raise ApiError(404, f"no dashboard asset {rest!r}", code="not_found")
    body = await asyncio.to_thread(load_asset, entry[0])
    # The page carries no data: data comes from the API with the viewer's key. CSP keeps every
    # script and style to this origin (no CDN, no inline code).
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", entry[1]), (b"cache-control", b"no-cache"),
        (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; object-src 'none'"),
        (b"x-content-type-options", b"nosniff")]})
    await send({"type": "http.response.body", "body": body})


def _num(params: dict[str, str], name: str) -> float | None:
    if name not in params:
        return None
    try:
        value = float(params[name])
    except ValueError:
        raise bad(name, "expected a number (unix seconds)") from None
    if not math.isfinite(value) or not 0 <= value < 1e11:
        raise bad(name, "expected unix seconds")
    return value


class DashboardApi:
    """Handlers of ``/v1/dashboard/*``; each returns JSON-ready data."""

    def __init__(self, state: GatewayState, sources: DashboardSources | None = None) -> None:
        self.state = state
        self.sources = sources or DashboardSources()
        self._specs: tuple[float, dict[str, ModelSpec]] | None = None
        self._teams_cache: tuple[float, list[str]] | None = None  # the admin's team picker, 60 s
        self._traffic_cache: dict[tuple[int, int, str | None], tuple[float, Traffic]] = {}

    # --- who, which team, which window -------------------------------------------------------------

    @staticmethod
    def team_of(caller: Caller, asked: str | None) -> str | None:
        if caller.admin:
            return asked or None
        own = caller.principal.team
        if own is None:
            raise ApiError(403, "the dashboard needs a team key or the admin key", type="permission_error",
                           code="team_required")
        if asked and asked != own:
            raise ApiError(403, f"this key belongs to team {own!r} and cannot read team {asked!r}'s data",
                           type="permission_error", code="team_forbidden")
        return own

    def window(self, caller: Caller, scope: Scope, default_days: float = 7.0) -> tuple[dash.Window, dict[str, str]]:
        p = query_params(scope)
        until = _num(p, "until") or time.time()
        since = _num(p, "since")
        if since is None:
            since = until - default_days * _DAY
        if since >= until:
            raise bad("since", "must be before until")
        if until - since > _MAX_SPAN:
            raise bad("since", "the window may span at most 400 days")
        return dash.Window(since, until, self.team_of(caller, p.get("team"))), p

    def specs(self) -> dict[str, ModelSpec]:
        now = time.monotonic()
        if self._specs is None or now - self._specs[0] > 60:
            self._specs = (now, {s.name: s for s in self.sources.specs()})
        return self._specs[1]

    async def _db(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        backend = self.state.store.backend
        return await asyncio.to_thread(fn, backend, *args, **kw)

    # --- pages ---------------------------------------------------------------------------------------

    async def whoami(self, caller: Caller, scope: Scope) -> Any:
        team = self.team_of(caller, None)
        return {"admin": caller.admin, "team": team, "user": caller.principal.user,
                "teams": await self._teams() if caller.admin else [team]}

    async def _teams(self) -> list[str]:
        now = time.monotonic()
        if self._teams_cache is None or now - self._teams_cache[0] > 60:
            w = dash.Window(time.time() - 90 * _DAY, time.time() + 60)
            rows = await self._db(dash.who, w, "team", 1000)
            self._teams_cache = (now, sorted(r["group"] for r in rows if r["group"]))
        return self._teams_cache[1]

    async def overview(self, caller: Caller, scope: Scope) -> Any:
        w, p = self.window(caller, scope)
        grain = p.get("grain") or None
        if grain not in (None, *dash.GRAINS):
            raise bad("grain", f"use one of: {', '.join(dash.GRAINS)}")
        return {"window": _wjson(w), **await self._db(dash.timeseries, w, grain)}

    async def spend(self, caller: Caller, scope: Scope) -> Any:
        w, _ = self.window(caller, scope)
        # One read per rollup: team × model cells give the team and model tables and the allocation.
        # The reads are independent: each runs on its own thread (and connection) at the same time.
        cells, per_user, budgets = await asyncio.gather(self._db(dash.breakdown, w, ("team", "model")),
                                                        self._db(dash.who_many, w, ("user", "segment", "key"), 25),
                                                        self._budgets(w.team))
        groups = {"team": _group_totals(cells, "team")[:25], "user": per_user["user"],
                  "segment": per_user["segment"], "model": _group_totals(cells, "model")[:25], "key": per_user["key"]}
        return {"window": _wjson(w), "groups": groups, "allocated": await self._allocated(w, cells),
                "budgets": budgets}

    async def _allocated(self, w: dash.Window, cells: list[dict[str, Any]]) -> dict[str, Any]:
        """Per team: recorded cost, and cost with self-hosted models charged by provisioned time."""
        specs = self.specs()
        first = await self._db(dash.first_ts)
        hours = 0.0 if first is None else max(0.0, w.until - max(w.since, first)) / 3600.0
        pricing = {n: s.pricing for n, s in specs.items()}
        usage = [UsageCell(c["team"], c["model"], c["prompt_tokens"] + c["completion_tokens"], c["cost_usd"])
                 for c in cells]
        served = None
        if w.team is not None:  # one team carries its token share of everything the model served
            everyone = await self._db(dash.breakdown, dash.Window(w.since, w.until), "model")
            served = {r["model"]: r["prompt_tokens"] + r["completion_tokens"] for r in everyone if r["model"]}
        a = allocate(usage, pricing, hours, served_by_model=served)
        recorded: dict[str | None, float] = {}
        for c in cells:
            recorded[c["team"]] = recorded.get(c["team"], 0.0) + c["cost_usd"]
        return {"hours": hours, "idle_usd": sum(a.idle_usd.values()) if w.team is None else 0.0,
                "teams": [{"team": t, "recorded_usd": recorded.get(t, 0.0), "allocated_usd": v}
                          for t, v in sorted(a.by_group.items(), key=lambda kv: -kv[1])]}

    async def _budgets(self, team: str | None) -> list[dict[str, Any]]:
        now = time.time()
        day = dash.Window(now - now % _DAY, now + 60, team)
        t = time.gmtime(now)
        month = dash.Window(float(calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0))), now + 60, team)
        out: list[dict[str, Any]] = []
        keys = [k for k in await asyncio.to_thread(self.state.store.list_keys, team=team)
                if k.limits.usd_per_day is not None or k.limits.usd_per_month is not None]
        # Spend is read only when some budget needs it (a month of per-key spend is the biggest
        # read on this page).
        spent_day = {r["group"]: r["cost_usd"] for r in await self._db(dash.who, day, "key", 10_000)} if keys else {}
        spent_month = ({r["group"]: r["cost_usd"] for r in await self._db(dash.who, month, "key", 10_000)}
                       if keys else {})
        for k in keys:
            lim = k.limits
            out.append({"scope": "key", "name": k.name or k.prefix, "team": k.team, "user": k.user,
                        **_budget(lim.usd_per_day, spent_day.get(k.key_id, 0.0), lim.usd_per_month,
                                  spent_month.get(k.key_id, 0.0))})
        teams = [(name, lim) for name, lim in sorted(self.state.team_limits.items())
                 if (team is None or name == team) and (lim.usd_per_day is not None or lim.usd_per_month is not None)]
        team_day = {r["group"]: r["cost_usd"] for r in await self._db(dash.who, day, "team", 10_000)} if teams else {}
        team_month = ({r["group"]: r["cost_usd"] for r in await self._db(dash.who, month, "team", 10_000)}
                      if teams else {})
        for name, lim in teams:
            out.append({"scope": "team", "name": name, "team": name, "user": None,
                        **_budget(lim.usd_per_day, team_day.get(name, 0.0), lim.usd_per_month,
                                  team_month.get(name, 0.0))})
        return out

    async def routing(self, caller: Caller, scope: Scope) -> Any:
        w, _ = self.window(caller, scope)
        mix, reasons, scores, cells = await asyncio.gather(
            self._db(dash.breakdown, w, ("model", "route")), self._db(dash.reasons, w, "route", 15),
            self._db(dash.router_scores, w), self._db(dash.breakdown, w, ("team", "model")))
        specs = self.specs()
        cfg_models = self.sources.costs.router_models if self.sources.costs else ()
        points = [RouterPoint(s["score"], s["model"], s["requests"], s["prompt_tokens"], s["completion_tokens"])
                  for s in scores]
        pair = router_models(points, cfg_models)
        decided = sum(p.requests for p in points)
        escalated = sum(p.requests for p in points if pair is not None and p.model == pair[1])
        buy = default_buy_model(list(specs.values()))
        baseline = None
        if buy is not None:
            pr = buy.pricing
            baseline = sum((r["prompt_tokens"] * pr.input_per_mtok + r["completion_tokens"] * pr.output_per_mtok)
                           / 1e6 for r in mix)
        allocated = await self._allocated(w, cells)
        actual = sum(t["allocated_usd"] for t in allocated["teams"]) + allocated["idle_usd"]
        hist = [{"score": s["score"], "model": s["model"], "requests": s["requests"]} for s in scores]
        return {"window": _wjson(w), "mix": mix, "reasons": reasons, "router": {
            "decided": decided, "escalated": escalated, "escalation_rate": escalated / decided if decided else None,
            "cheap_model": pair[0] if pair else None, "strong_model": pair[1] if pair else None, "scores": hist},
            "savings": {"baseline_model": buy.name if buy else None, "baseline_usd": baseline, "actual_usd": actual,
                        "saved_usd": None if baseline is None else baseline - actual,
                        "self_hosted_hours": allocated["hours"]}}

    async def privacy(self, caller: Caller, scope: Scope) -> Any:
        w, _ = self.window(caller, scope)
        rows, reasons, series = await asyncio.gather(
            self._db(dash.breakdown, w, ("sensitivity", "model")), self._db(dash.reasons, w, "sensitivity", 20),
            self._db(dash.timeseries, w))
        specs = self.specs()
        by_level: dict[str, dict[str, int]] = {}
        sensitive = kept = outside = refused = 0
        for r in rows:
            level = r["sensitivity"] or "unscanned"
            spec = specs.get(r["model"] or "")
            where = "none" if not r["model"] else (spec.locality if spec is not None else "unknown")
            acc = by_level.setdefault(level, {"requests": 0, "self_hosted": 0, "external": 0, "refused": 0})
            acc["requests"] += r["requests"]
            if where in ("self_hosted", "external"):
                acc[where] += r["requests"] - r["errors"]
            acc["refused"] += r["errors"]
            if is_sensitive(r["sensitivity"]):
                sensitive += r["requests"]
                refused += r["errors"]
                if where == "self_hosted":
                    kept += r["requests"] - r["errors"]
                elif where != "none":
                    outside += r["requests"] - r["errors"]
        return {"window": _wjson(w), "sensitive_requests": sensitive, "kept_self_hosted": kept,
                "sent_outside": outside, "refused_or_failed": refused,
                "levels": [{"level": k, **v} for k, v in sorted(by_level.items())],
                "reasons": reasons, "series": series["points"]}

    async def requests(self, caller: Caller, scope: Scope) -> Any:
        w, p = self.window(caller, scope, default_days=30.0)
        filters: dict[str, Any] = {"team": w.team}
        for name in ("user", "model", "route", "sensitivity", "key"):
            if p.get(name):
                filters[name] = p[name]
        if p.get("status"):
            try:
                filters["status"] = int(p["status"])
            except ValueError:
                raise bad("status", "expected an HTTP status such as 200 or 429") from None
        before = None
        if p.get("before_ts") and p.get("before_id"):
            before = (float(_num(p, "before_ts") or 0.0), p["before_id"])
        try:
            limit = max(1, min(200, int(p.get("limit", "50"))))
        except ValueError:
            raise bad("limit", "expected an integer") from None
        rows: list[RequestRecord] = await self._db(dash.page, filters, limit=limit, before=before, since=w.since,
                                                   until=w.until)
        nxt = {"before_ts": rows[-1].ts, "before_id": rows[-1].request_id} if len(rows) == limit else None
        return {"window": _wjson(w), "data": [_summary(r) for r in rows], "next": nxt}

    async def request(self, caller: Caller, request_id: str) -> Any:
        team = self.team_of(caller, None)
        record = await asyncio.to_thread(self.state.store.get_request, request_id, team=team)
        readable = caller.admin or (record.team == team and not is_sensitive(record.sensitivity))
        out = {**_summary(record), "route_reasons": record.route_reasons,
               "sensitivity_reasons": record.sensitivity_reasons, "error": record.error,
               "citations": record.citations, "served_model_id": record.served_model_id,
               "requested_model": record.requested_model, "segment": record.segment, "stream": record.stream,
               "collection": record.collection, "content_visible": readable}
        if readable:
            out["request_messages"] = record.request_messages
            out["response_text"] = record.response_text
        else:
            out["content_note"] = ("content of sensitive requests is readable by the admin only"
                                   if is_sensitive(record.sensitivity) else "content is not visible to this key")
        return out

    async def evals(self, caller: Caller, scope: Scope) -> Any:
        self.team_of(caller, None)
        return await asyncio.to_thread(self.sources.evals)

    async def feedback(self, caller: Caller, scope: Scope) -> Any:
        team = self.team_of(caller, query_params(scope).get("team"))
        items = await asyncio.to_thread(self.state.store.list_feedback, None, team, limit=1000)
        counts: dict[str, int] = {}
        for f in items:
            counts[f.status] = counts.get(f.status, 0) + 1
        recent = [{"id": f.id, "request_id": f.request_id, "ts": f.ts, "rating": f.rating, "status": f.status,
                   "team": f.team, "user": f.user, "has_correction": bool(f.final_correction),
                   "comment": f.comment if caller.admin or f.team == team else None} for f in items[:50]]
        datasets = await asyncio.to_thread(self.sources.datasets)
        return {"counts": counts, "total": len(items), "recent": recent, "datasets": datasets}

    async def models(self, caller: Caller, scope: Scope) -> Any:
        self.team_of(caller, None)
        specs = [{"name": s.name, "provider": s.provider, "model_id": s.model_id, "locality": s.locality,
                  "kind": s.kind, "input_per_mtok": s.pricing.input_per_mtok,
                  "output_per_mtok": s.pricing.output_per_mtok, "hourly_usd": s.pricing.hourly_usd,
                  "gpus": s.pricing.gpus if s.pricing.self_hosted_cost else None,
                  "setup_usd": s.pricing.setup_usd, "context_window": s.context_window,
                  "capabilities": sorted(s.capabilities)} for s in self.specs().values()]
        return {"models": specs, "registry": await asyncio.to_thread(self.sources.registry)}

    async def tco(self, caller: Caller, scope: Scope) -> Any:
        w, p = self.window(caller, scope, default_days=30.0)
        if self.sources.costs is None:
            raise ApiError(404, "cost of ownership is not configured on this gateway", code="not_found")
        overrides = _overrides(p)
        specs = list(self.specs().values())
        traffic = await self._traffic(w)
        return await asyncio.to_thread(report_for, self.state.store, specs, self.sources.costs, since=w.since,
                                       until=w.until, team=w.team, overrides=overrides, traffic=traffic)

    async def _traffic(self, w: dash.Window) -> Traffic:
        """The window's traffic profile, kept a minute per (window to the minute, team): each what-if
        edit on the TCO page asks again with other assumptions over the same traffic."""
        key = (int(w.since // 60), int(w.until // 60), w.team)
        now = time.monotonic()
        hit = self._traffic_cache.get(key)
        if hit is not None and now - hit[0] < _TRAFFIC_TTL_S:
            return hit[1]
        traffic = await asyncio.to_thread(traffic_for, self.state.store, since=w.since, until=w.until, team=w.team)
        # Small and bounded: stale entries go first, then the oldest.
        for k in [k for k, (t, _) in self._traffic_cache.items() if now - t >= _TRAFFIC_TTL_S]:
            del self._traffic_cache[k]
        while len(self._traffic_cache) >= 32:
            del self._traffic_cache[min(self._traffic_cache, key=lambda k: self._traffic_cache[k][0])]
        self._traffic_cache[key] = (now, traffic)
        return traffic


_MEASURES = ("requests", "errors", "prompt_tokens", "completion_tokens", "cost_usd")


def _group_totals(cells: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """Totals per value of ``by`` from finer breakdown cells, biggest spenders first."""
    acc: dict[Any, dict[str, Any]] = {}
    for c in cells:
        a = acc.setdefault(c[by], {"group": c[by], **dict.fromkeys(_MEASURES, 0)})
        for m in _MEASURES:
            a[m] += c[m]
    return sorted(acc.values(), key=lambda r: (-r["cost_usd"], -r["requests"]))


def _overrides(p: dict[str, str]) -> dict[str, Any]:
    """``a.NAME=VALUE`` query parameters: assumptions changed for this report only."""
    out: dict[str, Any] = {}
    for key, value in p.items():
        if not key.startswith("a."):
            continue
        name = key[2:]
        if name in ("buy_model", "build_model"):
            out[name] = value or None
            continue
        try:
            out[name] = float(value)
        except ValueError:
            raise bad(key, "expected a number") from None
        if out[name].is_integer() and name in ("min_gpus", "amortisation_months"):
            out[name] = int(out[name])
    return out


def _budget(day_limit: float | None, day: float, month_limit: float | None, month: float) -> dict[str, Any]:
    return {"usd_per_day": day_limit, "spent_today": day, "day_used": day / day_limit if day_limit else None,
            "usd_per_month": month_limit, "spent_month": month,
            "month_used": month / month_limit if month_limit else None}


def _wjson(w: dash.Window) -> dict[str, Any]:
    return {"since": w.since, "until": w.until, "team": w.team}


def _summary(r: RequestRecord) -> dict[str, Any]:
    return {"request_id": r.request_id, "ts": r.ts, "team": r.team, "user": r.user, "key_id": r.key_id,
            "model": r.served_model, "route": r.route, "sensitivity": r.sensitivity, "status": r.status,
            "prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens, "cost_usd": r.cost_usd,
            "latency_ms": r.latency_ms, "ttft_ms": r.ttft_ms, "endpoint": r.endpoint}
