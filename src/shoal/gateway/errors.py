"""Shoal exceptions → HTTP status and OpenAI-style error type/code, by class (most specific first)."""

from __future__ import annotations

from shoal import errors
from shoal.gateway.http import ApiError
from shoal.store.backend import StoreError

# exception class -> (status, type, code). Upstream auth problems are 502: the client's key is
# fine, Shoal's key for the provider is not — a 401 would send the client hunting the wrong bug.
_MAP: dict[type[BaseException], tuple[int, str, str]] = {
    errors.UnknownModelError: (404, "invalid_request_error", "model_not_found"),
    errors.PolicyRefusedError: (403, "permission_error", "policy_refused"),
    errors.NotFoundError: (404, "invalid_request_error", "not_found"),
    errors.UnsupportedRequestError: (400, "invalid_request_error", "unsupported_request"),
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


def to_api_error(exc: BaseException) -> ApiError:
    """The client-facing form of ``exc`` (its message is safe: Shoal errors never contain secrets)."""
    if isinstance(exc, ApiError):
        return exc
    for cls in type(exc).__mro__:
        entry = _MAP.get(cls)
        if entry is not None:
            status, kind, code = entry
            headers = []
            if isinstance(exc, errors.RateLimitError) and exc.retry_after is not None:
                headers.append((b"retry-after", str(max(1, int(exc.retry_after + 0.999))).encode()))
            return ApiError(status, str(exc), type=kind, code=code, headers=headers)
    return ApiError(500, "internal error in the gateway; the request id is in x-shoal-request-id and the "
                         "server log has the details", type="api_error", code="internal_error")
