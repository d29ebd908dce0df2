"""Admin API (keys) and the team-scoped read APIs (request log, usage, feedback).

A team key sees only its own team's records; a key without a team sees only its own requests;
the admin key sees everything. Asking for another team's data is a 403 that says so.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs

from shoal.errors import NotFoundError, ShoalError
from shoal.gateway.auth import Caller
from shoal.gateway.http import ApiError, Scope
from shoal.gateway.state import GatewayState
from shoal.gateway.validate import bad, obj, opt_int, opt_str
from shoal.privacy.types import LEVELS, level_rank
from shoal.store import Limits, RequestFilter, RequestRecord
from shoal.store.backend import StoreError
from shoal.store.requests_sql import GROUPS

# Levels whose request content only the admin key reads.
SENSITIVE = frozenset(level for level in LEVELS if level_rank(level) >= level_rank("confidential"))


def query_params(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=False).items()}


def _team_for(caller: Caller, asked: str | None) -> str | None:
    """The team whose data ``caller`` may read, given the ``team`` it asked for."""
    if caller.admin:
        return asked
    own = caller.principal.team
    if asked is not None and asked != own:
        raise ApiError(403, f"this key belongs to team {own!r} and cannot read team {asked!r}'s data",
                       type="permission_error", code="team_forbidden")
    return own


def _float_param(params: dict[str, str], name: str) -> float | None:
    if name not in params:
        return None
    try:
        return float(params[name])
    except ValueError:
        raise bad(name, "expected a number (unix seconds)") from None


def _int_param(params: dict[str, str], name: str, default: int, hi: int) -> int:
    if name not in params:
        return default
    try:
        value = int(params[name])
    except ValueError:
        raise bad(name, "expected an integer") from None
    if not 1 <= value <= hi:
        raise bad(name, f"must be between 1 and {hi}")
    return value


def record_json(r: RequestRecord, caller: Caller | None = None) -> dict[str, Any]:
    """``r`` as JSON for ``caller``: the prompt and answer of a sensitive request (confidential or
    restricted) are the admin's to read; a team key sees its metadata and ``content_visible: false``."""
    from dataclasses import asdict

    out = asdict(r)
    if caller is not None and not caller.admin and r.sensitivity in SENSITIVE:
        out["request_messages"] = out["response_text"] = None
        out["content_visible"] = False
    return out


def require_admin(caller: Caller) -> None:
    if not caller.admin:
        raise ApiError(403, "this endpoint needs the admin key", type="permission_error", code="admin_required")


class ReadApi:
    def __init__(self, state: GatewayState) -> None:
        self.state = state

    async def requests(self, caller: Caller, scope: Scope) -> Any:
        p = query_params(scope)
        team = _team_for(caller, p.get("team"))
        status = _int_param(p, "status", 0, 999) if "status" in p else None
        f = RequestFilter(team=team, key_id=None if caller.admin or team is not None else caller.key_id,
                          user=p.get("user"), segment=p.get("segment"), model=p.get("model"), status=status,
                          errors_only=p.get("errors") in ("1", "true"), since=_float_param(p, "since"),
                          until=_float_param(p, "until"))
        rows = await asyncio.to_thread(self.state.store.query_requests, f, _int_param(p, "limit", 100, 10_000))
        return {"object": "list", "data": [record_json(r, caller) for r in rows]}

    async def request(self, caller: Caller, request_id: str) -> Any:
        team = _team_for(caller, None)
        record = await asyncio.to_thread(self.state.store.get_request, request_id, team=team)
        if not caller.admin and team is None and record.key_id != caller.key_id:
            raise NotFoundError(f"no request with id {request_id!r}")
        return record_json(record, caller)

    async def usage(self, caller: Caller, scope: Scope) -> Any:
        p = query_params(scope)
        team = _team_for(caller, p.get("team"))
        if not caller.admin and team is None:
            raise ApiError(403, "usage reports need a team key or the admin key", type="permission_error",
                           code="team_required")
        group_by = p.get("group_by", "model")
        if group_by not in GROUPS:
            raise bad("group_by", f"use one of: {', '.join(GROUPS)}")
        rows = await asyncio.to_thread(self.state.store.usage, group_by, since=_float_param(p, "since"),
                                       until=_float_param(p, "until"), team=team)
        return {"object": "list", "group_by": group_by, "team": team, "data": [
            {"group": r.group, "requests": r.requests, "errors": r.errors, "prompt_tokens": r.prompt_tokens,
             "completion_tokens": r.completion_tokens, "cost_usd": r.cost_usd} for r in rows]}

    async def feedback_list(self, caller: Caller, scope: Scope) -> Any:
        p = query_params(scope)
        team = _team_for(caller, p.get("team"))
        if not caller.admin and team is None:
            raise ApiError(403, "reading feedback needs a team key or the admin key", type="permission_error",
                           code="team_required")
        status = p.get("status")
        items = await asyncio.to_thread(self.state.store.list_feedback, status, team,
                                        limit=_int_param(p, "limit", 100, 10_000))
        hidden = set() if caller.admin else await asyncio.to_thread(
            self._sensitive, {f.request_id for f in items}, team)
        return {"object": "list", "data": [
            {"id": f.id, "request_id": f.request_id, "ts": f.ts, "rating": f.rating, "correction": f.correction,
             "comment": f.comment, "status": f.status, "team": f.team, "user": f.user,
             "original_response": None if f.request_id in hidden else f.original_response} for f in items]}

    def _sensitive(self, request_ids: set[str], team: str | None) -> set[str]:
        """Which of these requests were sensitive (or are gone, so unknown): their answers are the admin's."""
        out = set()
        for rid in request_ids:
            try:
                if self.state.store.get_request(rid, team=team).sensitivity in SENSITIVE:
                    out.add(rid)
            except NotFoundError:
                out.add(rid)
        return out

    async def feedback_add(self, caller: Caller, data: dict[str, Any]) -> Any:
        request_id = opt_str(data, "request_id")
        if not request_id:
            raise bad("request_id", "is required (the x-shoal-request-id of the answer)")
        raw = data.get("rating")
        if isinstance(raw, str):  # the words the CLI takes: up, down, or "1".."5" stars
            from shoal.feedback.capture import rating_value

            try:
                rating = rating_value(raw)
            except ShoalError:
                raise bad("rating", "must be up, down, or an integer from -1 to 5") from None
        else:
            rating = opt_int(data, "rating", lo=-1, hi=5)
        correction, comment = opt_str(data, "correction"), opt_str(data, "comment")
        if rating is None and not correction and not comment:
            raise bad("rating", "send at least one of rating, correction, comment")
        team = _team_for(caller, None)
        store = self.state.store
        record = await asyncio.to_thread(store.get_request, request_id, team=team)
        if not caller.admin and team is None and record.key_id != caller.key_id:
            raise NotFoundError(f"no request with id {request_id!r}")
        feedback_id = await asyncio.to_thread(store.add_feedback, request_id, rating, correction, comment,
                                              "api", team, caller.principal.user)
        return {"id": feedback_id, "object": "feedback", "request_id": request_id, "status": "pending"}


class AdminApi:
    def __init__(self, state: GatewayState) -> None:
        self.state = state

    async def create_key(self, caller: Caller, data: dict[str, Any]) -> Any:
        require_admin(caller)
        groups = data.get("groups") or []
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise bad("groups", "expected an array of strings")
        limits_raw = obj(data.get("limits") or {}, "limits")
        unknown = set(limits_raw) - {"requests_per_minute", "tokens_per_minute", "usd_per_day", "usd_per_month"}
        if unknown:
            raise bad("limits", f"unknown limit(s) {sorted(unknown)}; use requests_per_minute, tokens_per_minute, "
                                "usd_per_day, usd_per_month")
        limits = Limits(requests_per_minute=opt_int(limits_raw, "requests_per_minute", lo=1),
                        tokens_per_minute=opt_int(limits_raw, "tokens_per_minute", lo=1),
                        usd_per_day=_nonneg(limits_raw, "usd_per_day"),
                        usd_per_month=_nonneg(limits_raw, "usd_per_month"))
        try:
            key, secret = await asyncio.to_thread(
                self.state.store.create_key, team=opt_str(data, "team"), user=opt_str(data, "user"),
                segment=opt_str(data, "segment"), groups=groups, name=opt_str(data, "name") or "", limits=limits)
        except StoreError:
            raise  # the database is down: 503, not the caller's mistake
        except ShoalError as exc:
            raise bad("body", exc.message) from None
        return {**key.public(), "key": secret, "object": "api_key"}

    async def list_keys(self, caller: Caller, scope: Scope) -> Any:
        require_admin(caller)
        p = query_params(scope)
        keys = await asyncio.to_thread(self.state.store.list_keys, team=p.get("team"),
                                       include_revoked=p.get("revoked") in ("1", "true"))
        return {"object": "list", "data": [k.public() for k in keys]}

    async def revoke_key(self, caller: Caller, key_id: str) -> Any:
        require_admin(caller)
        key = await asyncio.to_thread(self.state.store.revoke_key, key_id)
        self.state.auth.invalidate()
        return {**key.public(), "object": "api_key", "revoked": True, "at": key.revoked_at or time.time()}


def _nonneg(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise bad(f"limits.{key}", "expected a number >= 0")
    return float(value)
