"""The one exception tree of Shoal.

Every error says what happened, where (file and key, provider/model/URL) and what to do next.
Callers catch the specific types (``RateLimitError``, ``ContextLengthError``...) or ``ShoalError``.
Secrets never appear in messages: adapters build messages from URLs and provider error bodies,
never from request headers.
"""

from __future__ import annotations


class ShoalError(Exception):
    """Base class of every error Shoal raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} — {self.hint}"
        return self.message


# --- configuration -------------------------------------------------------------------------------


class ConfigError(ShoalError):
    """The configuration file (or a value in it) is wrong."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 hint: str | None = None) -> None:
        self.file = file
        self.key = key
        where = ""
        if file and key:
            where = f"{file}: {key}: "
        elif file:
            where = f"{file}: "
        elif key:
            where = f"{key}: "
        super().__init__(where + message, hint=hint)


class MissingSecretError(ConfigError):
    """A secret reference (``env:NAME`` or ``file:PATH``) could not be resolved."""

    def __init__(self, message: str, *, env_var: str | None = None, file: str | None = None,
                 key: str | None = None, hint: str | None = None) -> None:
        self.env_var = env_var
        super().__init__(message, file=file, key=key, hint=hint)


class UnknownModelError(ConfigError):
    """A model name that is not configured (nor in the catalog's defaults) was requested."""

    def __init__(self, message: str, *, model: str | None = None, file: str | None = None,
                 key: str | None = None, hint: str | None = None) -> None:
        self.model = model
        super().__init__(message, file=file, key=key, hint=hint)


class UnknownProviderError(ConfigError):
    """A ``provider:`` value that no installed plugin registers."""


class DependencyMissingError(ShoalError):
    """An optional dependency (llama-cpp-python, torch, qdrant-client...) is not installed."""


class NetworkBlockedError(ShoalError):
    """A real network call was attempted while the network switch is off (tests)."""


# --- provider calls ------------------------------------------------------------------------------


class ProviderError(ShoalError):
    """A model provider failed. Carries provider, model, URL and HTTP status when known."""

    default_hint: str | None = None

    def __init__(self, message: str, *, provider: str, model: str | None = None,
                 url: str | None = None, status: int | None = None, hint: str | None = None) -> None:
        self.provider = provider
        self.model = model
        self.url = url
        self.status = status
        self.reason = message  # without provider/URL/status: what the provider said
        parts = [f"provider {provider!r}"]
        if model:
            parts.append(f"model {model!r}")
        if url:
            parts.append(url)
        if status is not None:
            parts.append(f"HTTP {status}")
        super().__init__(f"{message} ({', '.join(parts)})", hint=hint or self.default_hint)


class AuthenticationError(ProviderError):
    default_hint = "check the API key the model's config points at"


class PermissionDeniedError(ProviderError):
    default_hint = "the key is valid but not allowed to use this model or endpoint"


class ModelNotFoundError(ProviderError):
    default_hint = "check the model id in shoal.yaml (`shoal models` lists what is configured)"


class RateLimitError(ProviderError):
    default_hint = "slow down, or configure a fallback model"

    def __init__(self, message: str, *, provider: str, model: str | None = None,
                 url: str | None = None, status: int | None = 429,
                 retry_after: float | None = None, hint: str | None = None) -> None:
        self.retry_after = retry_after
        if retry_after is not None and hint is None:
            hint = f"retry after {retry_after:g} s, or configure a fallback model"
        super().__init__(message, provider=provider, model=model, url=url, status=status, hint=hint)


class ContextLengthError(ProviderError):
    default_hint = "shorten the prompt, lower max_tokens, or use a model with a larger context window"


class BadRequestError(ProviderError):
    default_hint = "the provider rejected the request body; check the parameters"


class ContentBlockedError(ProviderError):
    default_hint = "the provider's safety filter blocked the prompt or the answer"


class ProviderTimeoutError(ProviderError):
    default_hint = "raise the model's `timeout` in shoal.yaml or check the server's load"


class UnavailableError(ProviderError):
    default_hint = "the provider is down or overloaded; retry later or configure a fallback"


class ProviderConnectionError(UnavailableError):
    default_hint = "check that the server is running and the base_url is right"


class MalformedResponseError(ProviderError):
    default_hint = "the provider sent a body Shoal could not parse; the server may not speak this API"


# --- platform ------------------------------------------------------------------------------------


class PolicyRefusedError(ShoalError):
    """The routing/privacy policy refused the request (e.g. no self-hosted model for sensitive data)."""

    def __init__(self, message: str, *, reasons: list[str] | None = None, hint: str | None = None) -> None:
        self.reasons = list(reasons or [])
        super().__init__(message, hint=hint)


class NotFoundError(ShoalError):
    """A named object (run, dataset version, request id, document) does not exist."""
