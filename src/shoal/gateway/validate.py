"""Small typed readers for request JSON: each failure is a 400 naming the field and the fix."""

from __future__ import annotations

from typing import Any

from shoal.gateway.http import ApiError


def bad(where: str, message: str) -> ApiError:
    return ApiError(400, f"{where}: {message}", code="invalid_request", param=where)


def opt_number(data: dict[str, Any], key: str, *, lo: float | None = None, hi: float | None = None) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad(key, f"expected a number, got {type(value).__name__}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise bad(key, f"must be between {lo} and {hi} (got {value})")
    return float(value)


def opt_int(data: dict[str, Any], key: str, *, lo: int | None = None, hi: int | None = None) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(key, f"expected an integer, got {type(value).__name__}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise bad(key, f"must be between {lo} and {hi} (got {value})")
    return value


def opt_bool(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad(key, f"expected true or false, got {type(value).__name__}")
    return value


def opt_str(data: dict[str, Any], key: str, where: str | None = None) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad(where or key, f"expected a string, got {type(value).__name__}")
    return value


def req_str(data: dict[str, Any], key: str, where: str | None = None) -> str:
    value = opt_str(data, key, where)
    if value is None or not value:
        raise bad(where or key, "is required (a non-empty string)")
    return value


def req_list(data: dict[str, Any], key: str, where: str | None = None) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        got = "missing" if value is None else f"got {type(value).__name__}" if not isinstance(value, list) else "empty"
        raise bad(where or key, f"expected a non-empty array ({got})")
    return value


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad(where, f"expected an object, got {type(value).__name__}")
    return value


def stop_list(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(s, str) for s in value) and len(value) <= 16:
        return tuple(value)
    raise bad(key, "expected a string or an array of at most 16 strings")


def tools_list(data: dict[str, Any], key: str = "tools") -> tuple[dict[str, Any], ...]:
    """OpenAI function tools, passed through as given after a shape check."""
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad(key, f"expected an array of tools, got {type(value).__name__}")
    out: list[dict[str, Any]] = []
    for i, tool in enumerate(value):
        where = f"{key}[{i}]"
        tool = obj(tool, where)
        if tool.get("type") != "function":
            raise bad(f"{where}.type", "only 'function' tools are supported")
        fn = obj(tool.get("function"), f"{where}.function")
        req_str(fn, "name", f"{where}.function.name")
        if fn.get("parameters") is not None:
            obj(fn["parameters"], f"{where}.function.parameters")
        out.append(tool)
    return tuple(out)
