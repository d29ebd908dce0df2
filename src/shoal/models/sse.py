"""An incremental parser for server-sent events (the ``text/event-stream`` format).

All three HTTP providers stream over SSE. Bytes arrive in arbitrary network chunks, so the
parser keeps state between ``feed()`` calls: a UTF-8 character, a line, a CR/LF pair or an
event may be split across chunks. It follows the WHATWG rules that matter for model APIs:

- lines end in LF, CRLF or a lone CR (a CR at the end of one chunk followed by an LF at the
  start of the next is one line break, not two);
- a blank line dispatches the event; ``data:`` lines accumulate and are joined with ``\\n``;
- lines starting with ``:`` are comments (keep-alives) and are ignored;
- one space after the colon is stripped; a field with no colon has an empty value;
- a leading byte-order mark is dropped;
- an event still open when the stream ends is discarded (it was never completed).
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event. ``event`` defaults to ``"message"`` as the standard says."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEParser:
    """Feed it bytes (or text) as they arrive; it returns the events completed so far."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._skip_lf = False  # the previous chunk ended in CR: a leading LF belongs to it
        self._started = False
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self._has_fields = False

    def feed(self, chunk: bytes | str) -> list[SSEEvent]:
        text = self._decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._skip_lf and text:
            text = text.removeprefix("\n")
            self._skip_lf = False
        self._buffer += text
        return self._drain()

    def close(self) -> list[SSEEvent]:
        """End of stream: flush the decoder; a half-received event is dropped per the standard."""
        events = self.feed(self._decoder.decode(b"", final=True))
        self._buffer = ""
        self._reset_event()
        return events

    @property
    def has_partial_event(self) -> bool:
        """True when bytes of an unfinished event are buffered (the stream was cut mid-event)."""
        return self._has_fields or bool(self._buffer)

    def _drain(self) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        buf = self._buffer
        start = 0
        n = len(buf)
        while start < n:
            cr = buf.find("\r", start)
            lf = buf.find("\n", start)
            if cr == -1 and lf == -1:
                break
            if cr != -1 and (lf == -1 or cr < lf):
                end, nxt = cr, cr + 1
                if nxt < n:
                    if buf[nxt] == "\n":
                        nxt += 1
                else:
                    self._skip_lf = True  # CR is the last char: an LF may follow in the next chunk
            else:
                end, nxt = lf, lf + 1
            event = self._line(buf[start:end])
            if event is not None:
                events.append(event)
            start = nxt
        self._buffer = buf[start:]
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_fields = True
        elif name == "event":
            self._event = value
            self._has_fields = True
        elif name == "id":
            if "\0" not in value:
                self._id = value
            self._has_fields = True
        elif name == "retry":
            if value.isdigit():
                self._retry = int(value)
            self._has_fields = True
        # any other field name is ignored, as the standard requires
        return None

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            # An event with no data line is not dispatched (but its type is reset).
            self._reset_event()
            return None
        event = SSEEvent(data="\n".join(self._data), event=self._event or "message",
                         id=self._id, retry=self._retry)
        self._reset_event()
        return event

    def _reset_event(self) -> None:
        self._data = []
        self._event = ""
        self._retry = None
        self._has_fields = False
        # ``id`` persists across events (it is the "last event id"), as the standard says.


async def aiter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[SSEEvent]:
    """Parse an async byte stream (e.g. ``httpx.Response.aiter_bytes()``) into events."""
    parser = SSEParser()
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event
    for event in parser.close():
        yield event
