"""``/openapi.json`` documents every endpoint the gateway routes and every query parameter its
handlers read (found in their source, so a new parameter without documentation fails here)."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from shoal.gateway import admin, dashboard
from shoal.gateway.openapi import openapi_document
from tests.gateway.conftest import Live

# handler method → (HTTP method, documented path)
HANDLERS: dict[Callable[..., Any], tuple[str, str]] = {
    admin.ReadApi.requests: ("get", "/v1/requests"),
    admin.ReadApi.usage: ("get", "/v1/usage"),
    admin.ReadApi.feedback_list: ("get", "/v1/feedback"),
    admin.AdminApi.list_keys: ("get", "/admin/keys"),
    **{getattr(dashboard.DashboardApi, page): ("get", f"/v1/dashboard/{page}")
       for page in ("whoami", "overview", "spend", "routing", "privacy", "requests", "evals", "feedback", "models",
                    "tco")},
}
_READERS = {"_float_param", "_int_param", "_num"}


def _params_read(fn: Callable[..., Any]) -> set[str]:
    """Query parameter names ``fn`` reads: p.get("x"), p["x"], "x" in p, _int_param(p, "x"...),
    query_params(scope).get("x"); self.window(...) reads since, until and team."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    names: set[str] = set()
    # for name in ("user", "model", ...): p.get(name) — the loop's constants are the names read
    loops = {node.target.id: [e.value for e in node.iter.elts if isinstance(e, ast.Constant)]
             for node in ast.walk(tree) if isinstance(node, ast.For) and isinstance(node.target, ast.Name)
             and isinstance(node.iter, ast.Tuple)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            looped = [v for a in node.args[:1] if isinstance(a, ast.Name) for v in loops.get(a.id, [])]
            first = set(args[:1]) | set(looped)
            if isinstance(func, ast.Attribute) and func.attr == "get" or \
                    isinstance(func, ast.Name) and func.id in _READERS:
                names |= first
            elif isinstance(func, ast.Attribute) and func.attr == "window":
                names |= {"since", "until", "team"}
            elif isinstance(func, ast.Name) and func.id == "_overrides":
                names.add("a")  # a.NAME=VALUE
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and \
                isinstance(node.value, ast.Name) and node.value.id == "p":
            names.add(str(node.slice.value))
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and \
                isinstance(node.ops[0], ast.In):
            names.add(str(node.left.value))
    return names


@pytest.mark.parametrize("fn", list(HANDLERS), ids=lambda fn: fn.__qualname__)
def test_every_query_parameter_a_handler_reads_is_documented(fn: Callable[..., Any]) -> None:
    method, path = HANDLERS[fn]
    op = openapi_document()["paths"][path][method]
    documented = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    read = _params_read(fn)
    assert read <= documented, f"{path}: undocumented query parameters {sorted(read - documented)}"
    assert all(p["schema"] for p in op.get("parameters", []))


def test_the_parameter_finder_finds_parameters() -> None:
    # The test above could pass by finding nothing: it must see what these handlers are known to read.
    assert {"group_by", "since", "until", "team"} <= _params_read(admin.ReadApi.usage)
    assert {"grain", "since"} <= _params_read(dashboard.DashboardApi.overview)
    assert {"before_ts", "before_id", "status", "limit", "route"} <= _params_read(dashboard.DashboardApi.requests)


def test_every_routed_endpoint_is_documented(live: Live) -> None:
    paths = openapi_document()["paths"]
    for method, path in live.app.routes:
        if path == "/dashboard/":  # the same page as /dashboard
            continue
        assert method.lower() in paths.get(path, {}), f"{method} {path} is not in /openapi.json"
    for prefix, methods in live.app.prefixed.items():
        if prefix == "/dashboard/":  # static assets of the dashboard page
            continue
        templated = [p for p in paths if p.startswith(prefix) and re.fullmatch(r"\{\w+\}", p[len(prefix):])]
        assert len(templated) == 1, prefix
        assert {m.lower() for m in methods} <= set(paths[templated[0]])


def test_documented_parameters_are_accepted(live: Live) -> None:
    key = live.create_key(team="t")
    headers = {"authorization": f"Bearer {key}"}
    day_ago = str(int(time.time()) - 86_400)
    samples = {"/v1/requests": {"user": "u", "segment": "s", "model": "cheap", "status": "200", "errors": "true",
                                "since": "1", "until": "2000000000", "limit": "5", "team": "t"},
               "/v1/usage": {"group_by": "route", "since": "1", "team": "t"},
               "/v1/feedback": {"status": "pending", "limit": "3"},
               "/v1/dashboard/overview": {"grain": "hour", "since": day_ago},
               "/v1/dashboard/requests": {"status": "200", "limit": "10", "route": "pin", "before_ts": day_ago,
                                          "before_id": "x"}}
    for path, params in samples.items():
        documented = {p["name"] for p in openapi_document()["paths"][path]["get"]["parameters"]}
        assert set(params) <= documented, path
        r = httpx.get(f"{live.url}{path}", params=params, headers=headers)
        assert r.status_code == 200, (path, r.text)


def test_a_grain_outside_the_rollup_tables_is_a_400(live: Live) -> None:
    # The grain names a rollup table in the store's SQL: only the documented values ever get there.
    key = live.create_key(team="t")
    for grain in ("week", "minute WHERE 1=0 UNION ALL SELECT 1,2,3,4,5,6,7,8 --"):
        r = httpx.get(f"{live.url}/v1/dashboard/overview", params={"grain": grain},
                      headers={"authorization": f"Bearer {key}"})
        assert r.status_code == 400 and r.json()["error"]["param"] == "grain", r.text
