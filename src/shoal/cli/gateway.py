"""``shoal serve``, ``shoal keys``, ``shoal logs`` and ``shoal usage``."""

from __future__ import annotations

import logging
import os
import re
import time
from datetime import UTC
from typing import TYPE_CHECKING, Any

import click

from shoal.cli.common import settings_from

if TYPE_CHECKING:
    from shoal.store import RequestRecord, Store

log = logging.getLogger("shoal.cli")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str | None) -> float | None:
    """``30m``, ``2h``, ``7d`` (ago) or an ISO date/time → unix seconds."""
    if value is None:
        return None
    m = _DURATION.match(value.strip())
    if m:
        return time.time() - float(m.group(1)) * _UNITS[m.group(2)]
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use 30m, 2h, 7d or an ISO date such as 2025-01-31") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _store(ctx: click.Context) -> Store:
    from shoal.wiring import open_store

    return open_store(settings_from(ctx))


@click.command()
@click.option("--host", help="Interface to bind (default: gateway.host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: gateway.port, 8080).")
@click.option("--workers", type=int, help="Worker processes (default: gateway.workers, 1).")
@click.option("--log-level", default="warning", type=click.Choice(["debug", "info", "warning", "error"]))
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None, log_level: str) -> None:
    """Run the OpenAI/Anthropic-compatible gateway (Ctrl-C stops it and flushes the request log)."""
    import logging

    from shoal.gateway.server import serve as run

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from(ctx)
    cfg = settings.config.gateway
    shown_host = host or cfg.host
    shown_port = cfg.port if port is None else port
    click.echo(f"Shoal gateway on http://{shown_host}:{shown_port}/v1  (config: {settings.source})", err=True)
    if cfg.auth and not os.environ.get(cfg.admin_key_env):
        click.echo(f"  keys are required; create one with `shoal keys create --team <team>` "
                   f"(or set {cfg.admin_key_env} for the admin API)", err=True)
    run(settings, host=host, port=port, workers=workers, log_level=log_level)


# --- keys -----------------------------------------------------------------------------------------


@click.group()
def keys() -> None:
    """Create, list and revoke gateway API keys (stored hashed; a key is shown once)."""


def _admin_client(url: str, ctx: click.Context) -> Any:
    import httpx

    env = settings_from(ctx).config.gateway.admin_key_env
    admin = os.environ.get(env)
    if not admin:
        raise click.UsageError(f"--url needs the admin key in ${env}")
    return httpx.Client(base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {admin}"}, timeout=30)


def _admin_call(client: Any, method: str, path: str, **kw: Any) -> Any:
    response = client.request(method, path, **kw)
    if response.status_code >= 400:
        try:
            message = response.json()["error"]["message"]
        except Exception:  # noqa: BLE001 - not our error body
            message = response.text[:200]
        raise click.ClickException(f"{method} {path}: HTTP {response.status_code}: {message}")
    return response.json()


@keys.command("create")
@click.option("--team", help="Team the key belongs to (budgets, reports, log access).")
@click.option("--user", help="User the key acts for.")
@click.option("--segment", help="User segment, for usage reports (e.g. free, pro, internal).")
@click.option("--groups", default="", help="Comma-separated document-access groups, e.g. hr,finance.")
@click.option("--name", default="", help="A label for listings.")
@click.option("--rpm", type=click.IntRange(min=1), help="Requests per minute.")
@click.option("--tpm", type=click.IntRange(min=1), help="Tokens per minute.")
@click.option("--usd-day", type=click.FloatRange(min=0), help="Budget in USD per day.")
@click.option("--usd-month", type=click.FloatRange(min=0), help="Budget in USD per month.")
@click.option("--url", envvar="SHOAL_GATEWAY_URL", help="Use a running gateway's admin API instead of the store.")
@click.pass_context
def keys_create(ctx: click.Context, team: str | None, user: str | None, segment: str | None, groups: str, name: str,
                rpm: int | None, tpm: int | None, usd_day: float | None, usd_month: float | None,
                url: str | None) -> None:
    """Create a key and print it (it cannot be shown again)."""
    from shoal.store import Limits

    limits = Limits(requests_per_minute=rpm, tokens_per_minute=tpm, usd_per_day=usd_day, usd_per_month=usd_month)
    group_list = [g.strip() for g in groups.split(",") if g.strip()]
    if url:
        with _admin_client(url, ctx) as client:
            data = _admin_call(client, "POST", "/admin/keys", json={
                "team": team, "user": user, "segment": segment, "groups": group_list, "name": name,
                "limits": limits.as_dict()})
        key_id, secret = data["id"], data["key"]
    else:
        store = _store(ctx)
        try:
            record, secret = store.create_key(team=team, user=user, segment=segment, groups=group_list, name=name,
                                              limits=limits)
        finally:
            store.close()
        key_id = record.key_id
    click.echo(secret)
    click.echo(f"created {key_id} (team {team or '-'}, user {user or '-'}); store the key now: "
               "it is kept only as a hash", err=True)


@keys.command("list")
@click.option("--team")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked keys.")
@click.option("--url", envvar="SHOAL_GATEWAY_URL", help="Use a running gateway's admin API.")
@click.pass_context
def keys_list(ctx: click.Context, team: str | None, include_revoked: bool, url: str | None) -> None:
    """List keys (id, prefix, team, user, segment, groups, limits); never the keys themselves."""
    from rich.console import Console
    from rich.table import Table

    if url:
        with _admin_client(url, ctx) as client:
            params = {"team": team} if team else {}
            if include_revoked:
                params["revoked"] = "1"
            rows = _admin_call(client, "GET", "/admin/keys", params=params)["data"]
    else:
        store = _store(ctx)
        try:
            rows = [k.public() for k in store.list_keys(team=team, include_revoked=include_revoked)]
        finally:
            store.close()
    table = Table("id", "prefix", "name", "team", "user", "segment", "groups", "limits", "created", "revoked")
    for k in rows:
        table.add_row(k["id"], k["prefix"] + "…", k["name"], k["team"] or "-", k["user"] or "-",
                      k["segment"] or "-", ",".join(k["groups"]) or "-",
                      " ".join(f"{a}={b}" for a, b in k["limits"].items()) or "-", _when(k["created_at"]),
                      _when(k["revoked_at"]) if k["revoked_at"] else "")
    Console().print(table)


@keys.command("revoke")
@click.argument("key_id")
@click.option("--url", envvar="SHOAL_GATEWAY_URL", help="Use a running gateway's admin API.")
@click.pass_context
def keys_revoke(ctx: click.Context, key_id: str, url: str | None) -> None:
    """Revoke KEY_ID (every running gateway refuses it within gateway.revocation_check_s, 0.5 s)."""
    if url:
        with _admin_client(url, ctx) as client:
            _admin_call(client, "DELETE", f"/admin/keys/{key_id}")
    else:
        store = _store(ctx)
        try:
            store.revoke_key(key_id)
        finally:
            store.close()
    click.echo(f"revoked {key_id}", err=True)


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


# --- logs -----------------------------------------------------------------------------------------


def _log_line(r: RequestRecord, content: bool) -> str:
    tokens = f"{r.prompt_tokens}+{r.completion_tokens}"
    route = f"{r.route or '-'}[{','.join(r.route_reasons)}]" if r.route_reasons else (r.route or "-")
    line = (f"{_when(r.ts)} {r.request_id} {r.status} {r.endpoint:<10} team={r.team or '-'} "
            f"user={r.user or '-'} {r.requested_model or '-'}→{r.served_model or '-'} route={route} "
            f"sens={r.sensitivity or '-'} tok={tokens} ${r.cost_usd:.6f} {r.latency_ms:.0f}ms")
    if r.error:
        line += f" error={r.error}"
    if content:
        if r.request_messages:
            last = r.request_messages[-1].get("content", "")
            line += f"\n    > {str(last)[:500]}"
        if r.response_text:
            line += f"\n    < {r.response_text[:500]}"
    return line


@click.command()
@click.option("--team")
@click.option("--user")
@click.option("--segment")
@click.option("--key", "key_id", help="Key id (key_…).")
@click.option("--model", help="Served model name.")
@click.option("--status", type=int)
@click.option("--errors", is_flag=True, help="Only failed requests (status >= 400).")
@click.option("--since", help="30m, 2h, 7d or an ISO date.")
@click.option("-n", "--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("-f", "--follow", "--tail", "follow", is_flag=True, help="Keep printing new requests.")
@click.option("--content", is_flag=True, help="Show the last prompt message and the answer.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--rejected", is_flag=True, help="Records the database refused and that were set aside "
                                               "(`shoal store replay` tries them again).")
@click.pass_context
def logs(ctx: click.Context, team: str | None, user: str | None, segment: str | None, key_id: str | None,
         model: str | None, status: int | None, errors: bool, since: str | None, limit: int, follow: bool,
         content: bool, as_json: bool, rejected: bool) -> None:
    """Show the request log, oldest of the last LIMIT first; --follow keeps tailing."""
    import dataclasses

    import orjson

    from shoal.store import RequestFilter

    store = _store(ctx)
    if rejected:
        try:
            items = store.rejected()[-limit:]
        finally:
            store.close()
        for path, when, why, r in items:
            if as_json:
                click.echo(orjson.dumps({"rejected_at": when, "error": why, "file": path.name,
                                         "record": dataclasses.asdict(r)}).decode())
            else:
                click.echo(f"{_log_line(r, content)}\n    set aside {_when(when)} in {path.name}: {why or '-'}")
        if not items and not as_json:
            click.echo("no set-aside records", err=True)
        return
    base = RequestFilter(team=team, user=user, segment=segment, key_id=key_id, model=model, status=status,
                         errors_only=errors, since=parse_since(since))

    def emit(r: RequestRecord) -> None:
        if as_json:
            click.echo(orjson.dumps(dataclasses.asdict(r)).decode())
        else:
            click.echo(_log_line(r, content))

    try:
        rows = list(reversed(store.query_requests(base, limit)))
        for r in rows:
            emit(r)
        if not follow:
            return
        seen = {r.request_id for r in rows}
        cursor = rows[-1].ts if rows else (base.since or time.time() - 1)
        while True:
            time.sleep(1.0)
            fresh = store.query_requests(dataclasses.replace(base, since=cursor - 2.0), 10_000, oldest_first=True)
            for r in fresh:
                if r.request_id not in seen:
                    seen.add(r.request_id)
                    emit(r)
                    cursor = max(cursor, r.ts)
            if len(seen) > 100_000:
                seen = {r.request_id for r in fresh}
    except KeyboardInterrupt:
        pass
    finally:
        store.close()


# --- usage ----------------------------------------------------------------------------------------


def strongest_model(catalog: Any) -> Any:
    """The most expensive token-priced chat model (the "send everything to the best" baseline).

    Self-hosted models charged by the hour are not candidates: their cost is not a list price.
    """
    specs = [s for s in catalog.specs(kind="chat") if not s.pricing.self_hosted_cost]
    if not specs:
        return None
    return max(specs, key=lambda s: (s.pricing.input_per_mtok + s.pricing.output_per_mtok, s.name))


def pricing_of(catalog: Any) -> dict[str, Any]:
    """Pricing of every configured chat model that can be described (name → Pricing)."""
    out: dict[str, Any] = {}
    for name in catalog.configured_names():
        try:
            out[name] = catalog.spec(name, resolve_secret=False).pricing
        except Exception as exc:  # noqa: BLE001 - a model that cannot be described has no price to allocate
            log.debug("no pricing for %s: %s", name, exc)
    return out


@click.command()
@click.option("--by", "group_by", default="team", show_default=True,
              type=click.Choice(["team", "user", "segment", "model", "key", "route", "sensitivity"]))
@click.option("--since", default="30d", show_default=True, help="30m, 2h, 7d or an ISO date.")
@click.option("--until", help="End of the window (ISO date/time; default: now).")
@click.option("--team", help="Only this team.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def usage(ctx: click.Context, group_by: str, since: str, until: str | None, team: str | None,
          as_json: bool) -> None:
    """Requests, tokens and cost by team/user/segment/model, and what routing saved.

    Self-hosted models with an hourly cost are charged by provisioned time over the window,
    shared by tokens served (README: "What a self-hosted model costs"). The saving compares that
    cost with sending every chat request's tokens to the most expensive token-priced chat model.
    """
    from shoal.cli.common import catalog_from
    from shoal.costs.allocation import UsageCell, allocate, window_hours

    store = _store(ctx)
    start = parse_since(since)
    stop = parse_since(until)  # None: no upper bound on the records; provisioned time ends now
    end = stop if stop is not None else time.time()
    everyone: list[Any] = []
    try:
        cells = store.usage_by_model(group_by, since=start, until=stop, team=team)
        first = store.first_request_ts()
        chat_tokens: dict[str | None, tuple[int, int]] = {}
        for endpoint in ("chat", "messages"):
            for r in store.usage(group_by, since=start, until=stop, team=team, endpoint=endpoint):
                p, c = chat_tokens.get(r.group, (0, 0))
                chat_tokens[r.group] = (p + r.prompt_tokens, c + r.completion_tokens)
        if team is not None:
            # A self-hosted model serves every team: its allocation needs all teams' tokens.
            everyone = store.usage_by_model("team", since=start, until=stop)
    finally:
        store.close()
    catalog = catalog_from(ctx)
    best = strongest_model(catalog)
    pricing = pricing_of(catalog)
    hours = window_hours(start if start is not None else (first or end), end, first)
    rows: dict[str | None, list[Any]] = {}
    for model, r in cells:
        acc = rows.setdefault(r.group, [0, 0, 0, 0])
        acc[0] += r.requests
        acc[1] += r.errors
        acc[2] += r.prompt_tokens
        acc[3] += r.completion_tokens
    alloc_cells = [UsageCell(r.group, model, r.total_tokens, r.cost_usd) for model, r in cells]
    served: dict[str, int] | None = None
    if team is not None:
        # A self-hosted model serves every team: one team carries its share of all tokens served.
        served = {}
        for model, r in everyone:
            if model is not None:
                served[model] = served.get(model, 0) + r.total_tokens
    allocation = allocate(alloc_cells, pricing, hours, served_by_model=served)
    cost_by_group = allocation.by_group
    idle = sum(allocation.idle_usd.values())
    out: list[dict[str, Any]] = []
    for group, (n, errors, p_tok, c_tok) in sorted(rows.items(), key=lambda kv: -cost_by_group.get(kv[0], 0.0)):
        p, c = chat_tokens.get(group, (0, 0))
        baseline = (p * best.pricing.input_per_mtok + c * best.pricing.output_per_mtok) / 1e6 if best else None
        cost = cost_by_group.get(group, 0.0)
        out.append({"group": group, "requests": n, "errors": errors, "prompt_tokens": p_tok,
                    "completion_tokens": c_tok, "cost_usd": cost,
                    "baseline_usd": baseline, "saved_usd": None if baseline is None else baseline - cost})
    if as_json:
        import orjson

        click.echo(orjson.dumps({"group_by": group_by, "baseline_model": best.name if best else None,
                                 "window_hours": hours, "idle_self_hosted_usd": idle, "rows": out}).decode())
        return
    from rich.console import Console
    from rich.table import Table

    title = f"usage by {group_by} since {_when(start)}"
    if best is not None:
        title += f" · baseline: everything on {best.name}"
    table = Table(group_by, "requests", "errors", "tokens in", "tokens out", "cost $", "baseline $", "saved",
                  title=title)
    totals = [0, 0, 0, 0, 0.0, 0.0]
    for o in out:
        base = o["baseline_usd"]
        saved = "" if not base else f"{(base - o['cost_usd']) / base * 100:.0f}%"
        table.add_row(str(o["group"] or "-"), str(o["requests"]), str(o["errors"]), str(o["prompt_tokens"]),
                      str(o["completion_tokens"]), f"{o['cost_usd']:.4f}", "-" if base is None else f"{base:.4f}",
                      saved)
        for i, k in enumerate(("requests", "errors", "prompt_tokens", "completion_tokens", "cost_usd")):
            totals[i] += o[k]
        totals[5] += base or 0.0
    if idle:
        table.add_row("(idle self-hosted)", "", "", "", "", f"{idle:.4f}", "", "")
        totals[4] += idle
    saved_total = "" if not totals[5] else f"{(totals[5] - totals[4]) / totals[5] * 100:.0f}%"
    table.add_row("total", str(totals[0]), str(totals[1]), str(totals[2]), str(totals[3]), f"{totals[4]:.4f}",
                  f"{totals[5]:.4f}", saved_total, style="bold")
    Console().print(table)
    if any(p.self_hosted_cost for p in pricing.values()):
        click.echo(f"self-hosted models are charged by provisioned time over {hours:.1f} h, shared by tokens served",
                   err=True)


# --- store maintenance ----------------------------------------------------------------------------


@click.group()
def store() -> None:
    """Request-log maintenance: replay journals and set-aside records."""


@store.command("replay")
@click.pass_context
def store_replay(ctx: click.Context) -> None:
    """Insert records left in journals of stopped processes, then retry every set-aside record.

    Records the database still refuses stay set aside (and listed by `shoal logs --rejected`).
    """
    st = _store(ctx)
    try:
        journaled = st.replay_journals()
        stored, refused = st.replay_rejected()
    finally:
        st.close()
    click.echo(f"replayed {journaled} journaled record(s); {stored} set-aside record(s) stored, "
               f"{refused} still refused")
    if refused:
        ctx.exit(1)
