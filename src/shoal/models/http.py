"""The transport shared by the HTTP adapters: one endpoint, one client, one error mapping.

``HTTPTransport`` holds what a *provider* contributes — base URL, credential headers, timeout
and a lazily created client — and turns every transport or HTTP failure into the
``shoal.errors`` type a caller can act on. The wire formats (request bodies, response parsing)
live in the adapter modules and never touch the client directly.

The client is ``shoal.models.fasthttp.FastClient`` (keep-alive HTTP/1.1 on asyncio + httptools,
~10x httpx's throughput; the measurements are in its docstring) for plain ``http``/``https``
endpoints, and ``httpx.AsyncClient`` behind the same small interface when a proxy from the
environment applies, the URL carries credentials, or httptools is not installed.

Rules kept here so that every adapter follows them:

- the network switch (``shoal.models.network.check_url``) is checked before every call;
- exactly one attempt per call: retries and fallbacks belong to the routing layer;
- messages name provider, model and URL and quote the provider's own error message, and the
  API key is scrubbed from anything that could echo it (keys only ever travel in headers);
- a streamed response that stops before its terminal event raises ``UnavailableError``: the
  connection was lost, so the answer is incomplete and the call may be retried elsewhere
  (a terminal event that arrives but cannot be parsed is ``MalformedResponseError``).
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import SplitResult, urlsplit

import httpx

from shoal import errors
from shoal.models import fasthttp
from shoal.models.network import check_url, is_local_host
from shoal.models.sse import SSEEvent, SSEParser
from shoal.models.types import ModelSpec

_SNIPPET = 300  # characters of an unparseable body quoted in an error message

# Phrases providers use when the prompt does not fit (OpenAI code/message, Anthropic, vLLM,
# Ollama, llama.cpp server, Gemini).
_CONTEXT_RE = re.compile(
    r"context[_ ]length|context[_ ]size|context window|maximum context|prompt is too long|input is too long|"
    r"too many tokens|exceeds? the (?:maximum|max)[\w ]* tokens|token limit|input token count",
    re.IGNORECASE)

_BY_STATUS: dict[int, type[errors.ProviderError]] = {
    400: errors.BadRequestError,
    401: errors.AuthenticationError,
    403: errors.PermissionDeniedError,
    404: errors.ModelNotFoundError,
    408: errors.ProviderTimeoutError,
    413: errors.BadRequestError,
    422: errors.BadRequestError,
    429: errors.RateLimitError,
    504: errors.ProviderTimeoutError,
}

_WHAT: dict[type[errors.ProviderError], str] = {
    errors.BadRequestError: "request rejected",
    errors.ContextLengthError: "prompt too long for the model's context window",
    errors.AuthenticationError: "authentication failed",
    errors.PermissionDeniedError: "permission denied",
    errors.ModelNotFoundError: "model or endpoint not found",
    errors.ProviderTimeoutError: "the provider timed out",
    errors.RateLimitError: "rate limited",
    errors.UnavailableError: "the provider is unavailable",
    errors.ContentBlockedError: "blocked by the provider's safety filter",
}


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What an adapter read out of a provider's error body.

    ``kind`` lets a wire format override the status-based choice (Gemini reports a bad key as
    HTTP 400 ``API_KEY_INVALID``); ``retry_after`` carries a delay found in the body.
    """

    message: str
    code: str | None = None
    kind: type[errors.ProviderError] | None = None
    retry_after: float | None = None


ErrorParser = Callable[[Any], ErrorInfo | None]


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms``, or ``Retry-After`` as seconds or an HTTP-date."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000.0
            if value >= 0:
                return value
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    raw = raw.strip()
    try:
        value = float(raw)
        return value if value >= 0 else None
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def parse_duration(value: Any) -> float | None:
    """A protobuf JSON duration (``"22s"``, ``"1.5s"``) in seconds; None if it is not one."""
    if not isinstance(value, str) or not value.endswith("s"):
        return None
    try:
        return max(0.0, float(value[:-1]))
    except ValueError:
        return None


def is_context_length_message(text: str) -> bool:
    return bool(_CONTEXT_RE.search(text))


def snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[:_SNIPPET] + "…"


try:  # orjson (gateway extra) is ~5x faster on the bodies we send and receive; json is the fallback
    import orjson

    def _dumps(body: Mapping[str, Any]) -> bytes:
        try:
            return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:  # e.g. integers beyond 64 bits: json copes
            return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    def _loads(content: bytes | str) -> Any:
        return orjson.loads(content)
except ImportError:  # pragma: no cover - exercised only without the gateway extra
    def _dumps(body: Mapping[str, Any]) -> bytes:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    def _loads(content: bytes | str) -> Any:
        return json.loads(content)

_JSON = "application/json"
_SSE_ACCEPT = {"accept": "text/event-stream"}


class StreamedBody(Protocol):
    """A response whose body is still to be read (``fasthttp.StreamedResponse`` or the httpx one)."""

    status: int
    headers: Mapping[str, str]

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...

    async def aread(self) -> bytes: ...


class Client(Protocol):
    """What ``HTTPTransport`` needs from an HTTP client."""

    @property
    def is_closed(self) -> bool: ...

    async def request(self, method: str, url: str, body: bytes = b"", *, content_type: str | None = None,
                      headers: Mapping[str, str] | None = None) -> fasthttp.Response: ...

    def stream(self, method: str, url: str, body: bytes = b"", *, content_type: str | None = None,
               headers: Mapping[str, str] | None = None) -> AbstractAsyncContextManager[StreamedBody]: ...

    async def aclose(self) -> None: ...


class _HttpxStreamed:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        return self._response.aiter_bytes()

    async def aread(self) -> bytes:
        return await self._response.aread()


class HttpxClient:
    """httpx behind ``Client``: the path for proxies, URLs with credentials and missing httptools."""

    def __init__(self, *, timeout_s: float, headers: Mapping[str, str], trust_env: bool) -> None:
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), headers=dict(headers),
                                         follow_redirects=False, trust_env=trust_env)

    @property
    def is_closed(self) -> bool:
        return self._client.is_closed

    @staticmethod
    def _headers(content_type: str | None, headers: Mapping[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if content_type:
            out["content-type"] = content_type
        return out

    async def request(self, method: str, url: str, body: bytes = b"", *, content_type: str | None = None,
                      headers: Mapping[str, str] | None = None) -> fasthttp.Response:
        r = await self._client.request(method, url, content=body, headers=self._headers(content_type, headers))
        return fasthttp.Response(r.status_code, r.headers, r.content)

    @asynccontextmanager
    async def stream(self, method: str, url: str, body: bytes = b"", *, content_type: str | None = None,
                     headers: Mapping[str, str] | None = None) -> AsyncIterator[StreamedBody]:
        async with self._client.stream(method, url, content=body,
                                       headers=self._headers(content_type, headers)) as response:
            yield _HttpxStreamed(response)

    async def aclose(self) -> None:
        await self._client.aclose()


def _proxied(parts: SplitResult) -> bool:
    """Whether HTTP(S)_PROXY/ALL_PROXY (minus NO_PROXY) would send this URL through a proxy."""
    proxies = urllib.request.getproxies_environment()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    # The environment's NO_PROXY rules (what httpx honours); not in typeshed, hence getattr.
    bypass: Callable[[str, dict[str, str]], bool] = getattr(urllib.request, "proxy_bypass_environment")  # noqa: B009
    return not bypass(parts.netloc, proxies)


def make_client(base_url: str, *, timeout_s: float, headers: Mapping[str, str]) -> Client:
    """FastClient where it applies, else httpx (see the module docstring)."""
    parts = urlsplit(base_url)
    # Remote endpoints honour HTTPS_PROXY/NO_PROXY from the environment (corporate networks); a
    # server on this machine is never sent through a proxy.
    local = is_local_host(parts.hostname)
    plain = (parts.scheme in ("http", "https") and bool(parts.hostname) and parts.username is None
             and parts.password is None)
    if fasthttp.AVAILABLE and plain and (local or not _proxied(parts)):
        return fasthttp.FastClient(timeout=timeout_s, headers=headers)
    return HttpxClient(timeout_s=timeout_s, headers=headers, trust_env=not local)


class HTTPTransport:
    """One provider endpoint for one model: URL building, a reusable client, error mapping."""

    def __init__(self, *, provider: str, model: str, base_url: str, headers: Mapping[str, str],
                 timeout_s: float, parse_error: ErrorParser, secret: str | None = None) -> None:
        self.provider = provider
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._headers = dict(headers)
        self.timeout_s = timeout_s
        self._parse_error = parse_error
        self._secret = secret
        self._client: Client | None = None
        self._urls: dict[str, str] = {}

    # --- client lifecycle ------------------------------------------------------------------------

    def url(self, path: str) -> str:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = f"{self.base_url}/{path.lstrip('/')}"
        return url

    def client(self) -> Client:
        """The shared client, created on first use (and again after ``aclose``)."""
        if self._client is None or self._client.is_closed:
            self._client = make_client(self.base_url, timeout_s=self.timeout_s, headers=self._headers)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- calls -----------------------------------------------------------------------------------

    async def post_json(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST a JSON body and return the decoded JSON answer, or raise the mapped error."""
        url = self.url(path)
        check_url(url, provider=self.provider)
        try:
            response = await self.client().request("POST", url, _dumps(body), content_type=_JSON)
        except (fasthttp.HTTPError, httpx.HTTPError) as exc:
            raise self.transport_error(exc, url) from None
        if response.status >= 400:
            raise self.status_error(response.status, response.headers, response.content, url)
        return self.decode_json(response.content, url)

    async def stream_events(self, path: str, body: Mapping[str, Any]) -> AsyncIterator[SSEEvent]:
        """POST and yield server-sent events as they arrive.

        HTTP errors (sent before the stream starts) and transport failures mid-stream are
        mapped like in ``post_json``. Whether the stream was complete is the wire format's call:
        it knows its terminal event and raises ``stream_cut`` when it did not see it.
        """
        url = self.url(path)
        check_url(url, provider=self.provider)
        client = self.client()
        try:
            async with client.stream("POST", url, _dumps(body), content_type=_JSON,
                                     headers=_SSE_ACCEPT) as response:
                if response.status >= 400:
                    content = await response.aread()
                    raise self.status_error(response.status, response.headers, content, url)
                parser = SSEParser()
                async for raw in response.aiter_bytes():
                    for event in parser.feed(raw):
                        yield event
                for event in parser.close():
                    yield event
        except (fasthttp.HTTPError, httpx.HTTPError) as exc:
            raise self.transport_error(exc, url) from None

    # --- error construction ----------------------------------------------------------------------

    def redact(self, text: str) -> str:
        if self._secret and len(self._secret) >= 4 and self._secret in text:
            text = text.replace(self._secret, "***")
        return text

    def error(self, cls: type[errors.ProviderError], message: str, *, url: str | None = None,
              status: int | None = None, hint: str | None = None,
              retry_after: float | None = None) -> errors.ProviderError:
        """Build ``cls`` with provider, model and URL filled in and the key scrubbed."""
        message = self.redact(message)
        target = url or self.base_url
        if issubclass(cls, errors.RateLimitError):
            return cls(message, provider=self.provider, model=self.model, url=target,
                       status=status, retry_after=retry_after, hint=hint)
        return cls(message, provider=self.provider, model=self.model, url=target, status=status,
                   hint=hint)

    def status_error(self, status: int, headers: Mapping[str, str], content: bytes,
                     url: str) -> errors.ProviderError:
        """Map an HTTP error response to the matching ``ProviderError``."""
        text = content.decode("utf-8", errors="replace")
        info: ErrorInfo | None = None
        try:
            info = self._parse_error(json.loads(text)) if text.strip() else None
        except (ValueError, TypeError, KeyError, AttributeError):
            info = None
        cls = _BY_STATUS.get(status) or (errors.UnavailableError if status >= 500 else errors.BadRequestError)
        if info is not None and info.kind is not None:
            cls = info.kind
        provider_says = info.message if info else (snippet(text) if text.strip() else "")
        code = info.code if info else None
        if cls in (errors.BadRequestError, errors.ModelNotFoundError) and status in (400, 404, 413, 422) \
                and is_context_length_message(f"{code or ''} {provider_says}"):
            cls = errors.ContextLengthError
        hint: str | None = None
        if cls is errors.ModelNotFoundError and info is None:
            hint = ("the server has no such path: check base_url (OpenAI-compatible servers usually "
                    "end in /v1) and the model id")
        if cls is errors.RateLimitError and code in ("insufficient_quota", "billing_hard_limit_reached"):
            hint = "the account's quota or credit is used up: check billing (retrying will not help)"
        detail = f"{code}: {provider_says}" if code and code not in provider_says else provider_says
        message = _WHAT.get(cls, "request failed") + (f": {detail}" if detail else "")
        retry_after = parse_retry_after(headers)
        if retry_after is None and info is not None:
            retry_after = info.retry_after
        return self.error(cls, message, url=url, status=status, hint=hint, retry_after=retry_after)

    def transport_error(self, exc: Exception, url: str) -> errors.ProviderError:
        """Map a transport exception (no HTTP status; fasthttp's or httpx's) to a ``ProviderError``."""
        detail = str(exc) or type(exc).__name__
        phase = {"ConnectTimeout": "connecting", "ReadTimeout": "waiting for the answer",
                 "WriteTimeout": "sending the request", "PoolTimeout": "waiting for a connection",
                 "connect": "connecting", "read": "waiting for the answer", "pool": "waiting for a connection"}
        if isinstance(exc, (fasthttp.Timeout, httpx.TimeoutException)):
            key = exc.phase if isinstance(exc, fasthttp.Timeout) else type(exc).__name__
            what = phase.get(key, "calling the provider")
            return self.error(errors.ProviderTimeoutError,
                              f"no response within {self.timeout_s:g} s while {what}", url=url)
        if isinstance(exc, (fasthttp.ConnectError, httpx.ConnectError)):
            return self.error(errors.ProviderConnectionError, f"cannot connect: {detail}", url=url)
        if isinstance(exc, (fasthttp.UnsupportedURL, httpx.UnsupportedProtocol)):
            return self.error(errors.ProviderConnectionError, f"unsupported URL: {detail}", url=url,
                              hint="base_url must start with http:// or https://")
        if isinstance(exc, (fasthttp.ConnectionDropped, fasthttp.ProtocolError, httpx.RemoteProtocolError,
                            httpx.ReadError, httpx.WriteError, httpx.CloseError)):
            return self.error(errors.UnavailableError, f"the connection was dropped: {detail}", url=url)
        return self.error(errors.UnavailableError, f"transport failure: {detail}", url=url)

    def decode_json(self, content: bytes | str, url: str) -> Any:
        try:
            return _loads(content)
        except ValueError:
            pass  # json is more lenient (NaN, bad UTF-8 replaced) and words the error for us
        text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
        try:
            return json.loads(text)
        except ValueError:
            raise self.malformed(f"the response is not JSON: {snippet(text)!r}", url) from None

    def malformed(self, message: str, url: str | None = None) -> errors.MalformedResponseError:
        err = self.error(errors.MalformedResponseError, message, url=url)
        assert isinstance(err, errors.MalformedResponseError)
        return err

    def stream_cut(self, terminal: str, url: str) -> errors.UnavailableError:
        """The stream ended (connection closed) before its terminal event arrived."""
        err = self.error(errors.UnavailableError,
                         f"the stream ended before {terminal}; the answer is incomplete", url=url,
                         hint="the connection was cut mid-answer; retry, or configure a fallback")
        assert isinstance(err, errors.UnavailableError)
        return err

    def stream_error(self, data: Any, url: str) -> errors.ProviderError:
        """An error reported inside a 200 stream (Anthropic ``event: error``, vLLM error chunks)."""
        try:
            info = self._parse_error(data)
        except (TypeError, KeyError, AttributeError):
            info = None
        if info is None:
            return self.malformed(f"unexpected error event: {snippet(json.dumps(data))}", url)
        cls = info.kind or errors.UnavailableError
        detail = f"{info.code}: {info.message}" if info.code and info.code not in info.message else info.message
        return self.error(cls, f"{_WHAT.get(cls, 'request failed')} mid-stream: {detail}", url=url,
                          retry_after=info.retry_after)


def require(value: Any, kind: type, what: str, transport: HTTPTransport, url: str) -> Any:
    """Return ``value`` if it has the expected JSON type, else raise ``MalformedResponseError``."""
    if not isinstance(value, kind):
        raise transport.malformed(f"expected {what} to be a JSON {kind.__name__}, got {snippet(repr(value))}",
                                  url)
    return value


def transport_for(spec: ModelSpec, *, default_base_url: str, headers: Mapping[str, str],
                  parse_error: ErrorParser) -> HTTPTransport:
    """Build the transport for one configured model; extra headers may come from ``options.headers``."""
    extra = spec.options.get("headers") or {}
    if not isinstance(extra, Mapping):
        raise errors.ConfigError("options.headers must be a mapping of header names to values",
                                 key=f"models.{spec.name}.options.headers")
    merged = {**{str(k): str(v) for k, v in extra.items()}, **headers}
    return HTTPTransport(provider=spec.provider, model=spec.model_id,
                         base_url=spec.base_url or default_base_url, headers=merged,
                         timeout_s=spec.timeout_s, parse_error=parse_error, secret=spec.api_key)
