"""Shared HTTP helpers: Retry-After parsing, context-length detection, error construction."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from shoal import errors
from shoal.models.http import HTTPTransport, is_context_length_message, parse_duration, parse_retry_after
from shoal.models.openai_compat import parse_error

NOW = 1_750_000_000.0


@pytest.mark.parametrize(("headers", "expected"), [
    ({"retry-after": "20"}, 20.0),
    ({"retry-after": "0.5"}, 0.5),
    ({"retry-after-ms": "250"}, 0.25),
    ({"retry-after-ms": "nonsense", "retry-after": "4"}, 4.0),
    ({"retry-after": formatdate(NOW + 90, usegmt=True)}, 90.0),
    ({"retry-after": formatdate(NOW - 90, usegmt=True)}, 0.0),  # a date in the past: retry now
    ({"retry-after": "soon"}, None),
    ({"retry-after": "-3"}, None),
    ({}, None),
])
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


@pytest.mark.parametrize(("value", "expected"), [("22s", 22.0), ("1.5s", 1.5), ("soon", None), (5, None)])
def test_parse_duration(value: object, expected: float | None) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("context_length_exceeded: This model's maximum context length is 8192 tokens", True),
    ("prompt is too long: 208310 tokens > 200000 maximum", True),
    ("The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).", True),
    ("Invalid value for 'temperature'", False),
    ("Request exceeds the maximum allowed number of bytes.", False),
])
def test_context_length_detection(text: str, expected: bool) -> None:
    assert is_context_length_message(text) is expected


def transport(secret: str | None = "sk-live-abcdef123456") -> HTTPTransport:
    return HTTPTransport(provider="openai", model="m", base_url="http://127.0.0.1:9/v1/", headers={},
                         timeout_s=1.0, parse_error=parse_error, secret=secret)


def test_url_joining() -> None:
    assert transport().url("/chat/completions") == "http://127.0.0.1:9/v1/chat/completions"


def test_status_error_without_json_body_quotes_the_body() -> None:
    err = transport().status_error(502, {}, b"<html>  upstream\n  down </html>", "http://x/v1/chat")
    assert isinstance(err, errors.UnavailableError)
    assert "<html> upstream down </html>" in str(err)


def test_unknown_4xx_is_bad_request_and_unknown_5xx_unavailable() -> None:
    assert type(transport().status_error(418, {}, b"{}", "u")) is errors.BadRequestError
    assert type(transport().status_error(599, {}, b"", "u")) is errors.UnavailableError


def test_secret_is_scrubbed_everywhere() -> None:
    t = transport()
    err = t.status_error(400, {}, b'{"error": {"message": "bad key sk-live-abcdef123456"}}', "u")
    assert "sk-live-abcdef123456" not in str(err)
    assert "sk-live-abcdef123456" not in str(t.malformed("echo sk-live-abcdef123456"))
