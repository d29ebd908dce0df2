"""The incremental SSE parser: chunk boundaries, line endings, multi-line data, comments."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shoal.models.sse import SSEEvent, SSEParser, aiter_sse

STREAM = ("\ufeff: keep-alive comment\r\n"
          "event: message_start\r\n"
          "data: {\"a\": 1}\r\n"
          "\r\n"
          "data: line one\n"
          "data: line two\n"
          "data:no-space\n"
          "id: 42\n"
          "\n"
          "event: ping\r"
          "data: {}\r"
          "\r"
          "retry: 1500\n"
          "data: héllo wörld ✓\n"
          "\n"
          "event: lonely\n"
          "\n"
          "data: unfinished")

EXPECTED = [
    SSEEvent('{"a": 1}', "message_start"),
    SSEEvent("line one\nline two\nno-space", "message", id="42"),
    SSEEvent("{}", "ping", id="42"),
    SSEEvent("héllo wörld ✓", "message", id="42", retry=1500),
]


def parse_all(chunks: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += parser.feed(chunk)
    return events + parser.close()


def test_whole_stream() -> None:
    assert parse_all([STREAM.encode()]) == EXPECTED


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 13])
def test_any_chunking_gives_the_same_events(size: int) -> None:
    raw = STREAM.encode()
    assert parse_all([raw[i:i + size] for i in range(0, len(raw), size)]) == EXPECTED


def test_every_two_way_split() -> None:
    raw = STREAM.encode()
    for cut in range(len(raw) + 1):
        assert parse_all([raw[:cut], raw[cut:]]) == EXPECTED, f"split at byte {cut}"


def test_cr_at_chunk_end_then_lf_is_one_line_break() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\r") == []
    # the LF completes the CRLF (not a blank line), so both data lines belong to one event
    assert parser.feed(b"\ndata: b\r") == []
    assert parser.feed(b"\n\r") == [SSEEvent("a\nb")]
    assert parser.feed(b"\n") == []  # the LF of that CRLF, not another blank line


def test_incomplete_event_is_discarded_and_reported() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: [DONE]") == []
    assert parser.has_partial_event
    assert parser.close() == []


def test_empty_data_line_gives_an_empty_event() -> None:
    assert parse_all([b"data:\n\n"]) == [SSEEvent("")]


def test_unknown_fields_are_ignored() -> None:
    assert parse_all([b"foo: bar\ndata: x\n\n"]) == [SSEEvent("x")]


async def test_async_iteration() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for piece in (b"data: 1\n", b"\ndata: 2\n\n"):
            yield piece

    assert [e.data async for e in aiter_sse(chunks())] == ["1", "2"]
