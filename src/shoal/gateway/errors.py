"""Shoal exceptions → HTTP status, OpenAI-style error type/code and a message fit for clients.

Each error code has a stable meaning clients can branch on. The client's message is written here
from the exception's fields (model name, provider, upstream status, what the provider said),
never from the operator-facing text, which names config files, env vars, base URLs and DSNs;
that text goes to the server log with the same code. ``ApiError`` passes every message through
``shoal.gateway.public.public_text`` as well, so a new error path cannot leak one by mistake.
"""

from __future__ import annotations

import logging

from shoal import errors
from shoal.gateway.http import ApiError
from shoal.gateway.public import public_text
from shoal.store.backend import StoreError

log = logging.getLogger("shoal.gateway")

# exception class -> (status, type, code). Upstream auth problems are 502: the client's key is
# fine, Shoal's key for the provider is not — a 401 would send the client hunting the wrong bug.
_MAP: dict[type[BaseException], tuple[int, str, str]] = {
    errors.UnknownModelError: (404, "invalid_request_error", "model_not_found"),
    errors.PolicyRefusedError: (403, "permission_error", "policy_refused"),
    errors.NotFoundError: (404, "invalid_request_error", "not_found"),
    errors.RateLimitError: (429, "rate_limit_error", "upstream_rate_limited"),
    errors.ContextLengthError: (400, "invalid_request_error", "context_length_exceeded"),
    errors.BadRequestError: (400, "invalid_request_error", "upstream_bad_request"),
    errors.ContentBlockedError: (400, "invalid_request_error", "content_filter"),
    errors.ProviderTimeoutError: (504, "api_error", "upstream_timeout"),
    errors.ProviderConnectionError: (502, "api_error", "upstream_unreachable"),
    errors.UnavailableError: (503, "api_error", "upstream_unavailable"),
    errors.MalformedResponseError: (502, "api_error", "upstream_malformed_response"),
    errors.AuthenticationError: (502, "api_error", "upstream_authentication_failed"),
    errors.PermissionDeniedError: (502, "api_error", "upstream_permission_denied"),
    errors.ModelNotFoundError: (502, "api_error", "upstream_model_not_found"),
    errors.NetworkBlockedError: (502, "api_error", "network_blocked"),
    errors.ProviderError: (502, "api_error", "upstream_error"),
    errors.DependencyMissingError: (503, "api_error", "model_unavailable"),
    errors.ConfigError: (500, "api_error", "server_config_error"),
    StoreError: (503, "api_error", "store_unavailable"),
    errors.ShoalError: (400, "invalid_request_error", "invalid_request"),
}

# What each upstream failure means for the client, followed by what the provider said (scrubbed),
# except where that could quote the gateway's own credentials back (auth errors echo key prefixes).
_UPSTREAM: dict[str, str] = {
    "upstream_rate_limited": "the model's provider is rate limiting requests",
    "context_length_exceeded": "the request is longer than the model's context window",
    "upstream_bad_request": "the model's provider rejected the request",
    "content_filter": "the model's provider blocked the prompt or the answer",
    "upstream_timeout": "the model's provider did not answer in time",
    "upstream_unreachable": "the model's provider could not be reached",
    "upstream_unavailable": "the model's provider is unavailable",
    "upstream_malformed_response": "the model's provider sent an answer the gateway could not read",
    "upstream_authentication_failed": "the gateway's credentials for the model's provider were refused "
                                      "(an operator problem, not your key)",
    "upstream_permission_denied": "the gateway's credentials may not use this model (an operator problem)",
    "upstream_model_not_found": "the model's provider does not know the configured model (an operator problem)",
    "network_blocked": "calls to external providers are switched off on this gateway",
    "upstream_error": "the model's provider failed",
}
_WITHHELD = {"upstream_authentication_failed", "upstream_permission_denied", "network_blocked"}


def _upstream_message(exc: errors.ProviderError, code: str) -> str:
    where = [f"provider {exc.provider!r}"]
    if exc.model:
        where.append(f"model {exc.model!r}")
    if exc.status is not None:
        where.append(f"HTTP {exc.status}")
    message = f"{_UPSTREAM.get(code, _UPSTREAM['upstream_error'])} ({', '.join(where)})"
    if code not in _WITHHELD and exc.reason:
        message += f": {exc.reason[:500]}"
    if isinstance(exc, errors.RateLimitError) and exc.retry_after is not None:
        message += f"; retry after {exc.retry_after:g} s"
    return message


def public_message(exc: BaseException, code: str) -> str:
    """The client's message for ``exc`` (mapped to ``code``); the operator's text stays in the log."""
    if isinstance(exc, errors.UnknownModelError):
        what = f"model {exc.model!r}" if exc.model else "the requested model"
        return f"{what} is not available on this gateway; GET /v1/models lists the models you can use"
    if isinstance(exc, errors.ConfigError):  # missing secrets, bad model entries: the operator's to fix
        return "the gateway's configuration has an error for this request; the operator finds it in the server log"
    if isinstance(exc, StoreError):
        return "the gateway's database is unavailable; retry shortly"
    if isinstance(exc, errors.DependencyMissingError):
        return "this model is not available on this gateway (a component is not installed; see the server log)"
    if isinstance(exc, errors.ProviderError):
        return _upstream_message(exc, code)
    return str(exc)


def to_api_error(exc: BaseException) -> ApiError:
    """The client-facing form of ``exc``; operator details are logged, not returned."""
    if isinstance(exc, ApiError):
        return exc
    for cls in type(exc).__mro__:
        entry = _MAP.get(cls)
        if entry is not None:
            status, kind, code = entry
            headers = []
            if isinstance(exc, errors.RateLimitError) and exc.retry_after is not None:
                headers.append((b"retry-after", str(max(1, int(exc.retry_after + 0.999))).encode()))
            message = public_message(exc, code)
            if status >= 500 or message != str(exc):
                log.warning("%s (%d): %s", code, status, exc)
            return ApiError(status, message, type=kind, code=code, headers=headers)
    return ApiError(500, "internal error in the gateway; the request id is in x-shoal-request-id and the "
                         "server log has the details", type="api_error", code="internal_error")


__all__ = ["public_message", "public_text", "to_api_error"]
