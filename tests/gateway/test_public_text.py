"""The last-line scrub of client-visible messages."""

from __future__ import annotations

import pytest

from shoal.gateway.public import public_text


@pytest.mark.parametrize(("raw", "shown"), [
    ("cannot connect to PostgreSQL at postgresql://bob:pw@db.internal:5432/shoal: refused",
     "cannot connect to PostgreSQL at <url>: refused"),
    ("/etc/shoal/shoal.yaml: models.x: no model named 'gpt-7'", "<path>: models.x: no model named 'gpt-7'"),
    ("environment variable OPENAI_API_KEY is not set (env:OPENAI_API_KEY, $HOME)",
     "environment variable <env> is not set (<secret reference>, <env>)"),
    ("down (provider 'openai', http://10.0.0.5:8000/v1/chat/completions, HTTP 500)",
     "down (provider 'openai', <url>, HTTP 500)"),
    ("gpu-box.internal:8000 and 10.2.3.4 and localhost are down", "<host> and <host> and <host> are down"),
    ("cannot open C:\\data\\shoal.db", "cannot open <path>"),
    ("read shoal.yaml", "read <file>"),
])
def test_internals_are_replaced(raw: str, shown: str) -> None:
    assert public_text(raw) == shown


@pytest.mark.parametrize("text", [
    "GET /v1/models lists the models you can use; see /openapi.json",
    "messages[0].content: expected a string, got int",
    "model 'meta-llama/Llama-3-8B' timed out after 0.5 s",
    "refused: pii:EMAIL_ADDRESS, pii:US_SSN; stored as [US_SSN_1]",
    "request body exceeds the limit of 4096 bytes",
])
def test_ordinary_messages_are_kept(text: str) -> None:
    assert public_text(text) == text
