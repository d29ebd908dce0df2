"""Reversible pseudonymisation for requests that go to an external model in redact mode.

One ``Pseudonymizer`` per request: every distinct detected value gets a placeholder such as
``[PERSON_1]`` (the same value always the same placeholder, across all messages of the request),
the external model sees only placeholders, and ``restore`` puts the originals back into its answer.
Models sometimes drop the brackets, so the bare core (``PERSON_1``) is restored too, but only as a
whole word (``PERSON_10`` is never read as ``PERSON_1`` + ``0``).

Typical use for one request (spans come from scanning each message's own text)::

    pseudo = Pseudonymizer.from_config(config.privacy.redact)
    sent = [pseudo.pseudonymize(m.text, scanner.detect_pii(m.text)) for m in messages]
    answer = pseudo.restore(completion.text)            # or, streaming:
    restorer = pseudo.stream_restorer(); out = restorer.feed(delta) ...; out += restorer.flush()

``StreamRestorer`` does the same for a streamed answer, where a placeholder may arrive split across
chunks (``"[PER"`` + ``"SON_1]"``): it holds back the shortest tail that could still become a
placeholder and releases it as soon as it cannot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from shoal.privacy.config import RedactConfig
from shoal.privacy.types import Span

DEFAULT_PLACEHOLDER = "[{type}_{n}]"


class Pseudonymizer:
    """Replace spans with placeholders and restore them; consistent within one instance."""

    def __init__(self, placeholder: str = DEFAULT_PLACEHOLDER, entities: Iterable[str] | None = None) -> None:
        if "{type}" not in placeholder or "{n}" not in placeholder:
            raise ValueError("placeholder must contain {type} and {n}, e.g. '[{type}_{n}]'")
        self.placeholder = placeholder
        self.entities = frozenset(entities) if entities is not None else None
        self._by_value: dict[tuple[str, str], str] = {}
        self._by_token: dict[str, str] = {}  # placeholder and its bare core → original value
        self._counts: dict[str, int] = {}
        self._pattern: re.Pattern[str] | None = None

    @classmethod
    def from_config(cls, config: RedactConfig) -> Pseudonymizer:
        return cls(config.placeholder, config.entities)

    @property
    def mapping(self) -> dict[str, str]:
        """Placeholder → original value (full placeholders only)."""
        return {token: value for (_, value), token in self._by_value.items()}

    def placeholder_for(self, entity_type: str, value: str) -> str:
        key = (entity_type, value)
        token = self._by_value.get(key)
        if token is None:
            n = self._counts.get(entity_type, 0) + 1
            self._counts[entity_type] = n
            token = self.placeholder.format(type=entity_type, n=n)
            self._by_value[key] = token
            self._by_token[token] = value
            core = re.sub(r"^\W+|\W+$", "", token)
            if core and core != token:
                self._by_token.setdefault(core, value)
            self._pattern = None
        return token

    def pseudonymize(self, text: str, spans: Sequence[Span]) -> str:
        """``text`` with each span (of an enabled type) replaced by its placeholder."""
        out: list[str] = []
        pos = 0
        for span in sorted(spans, key=lambda s: s.start):
            if span.start < pos or (self.entities is not None and span.entity_type not in self.entities):
                continue
            if text[span.start:span.end] != span.text:
                raise ValueError(f"span {span.entity_type} at {span.start}:{span.end} does not match the text "
                                 "(spans must come from scanning this exact text)")
            out.append(text[pos:span.start])
            out.append(self.placeholder_for(span.entity_type, span.text))
            pos = span.end
        out.append(text[pos:])
        return "".join(out)

    def _regex(self) -> re.Pattern[str] | None:
        if not self._by_token:
            return None
        if self._pattern is None:
            alternatives = sorted(self._by_token, key=len, reverse=True)
            self._pattern = re.compile(
                r"(?<![\w])(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?![\w])")
        return self._pattern

    def restore(self, text: str) -> str:
        """Put the original values back in place of placeholders (bracketed or bare)."""
        rx = self._regex()
        if rx is None:
            return text
        return rx.sub(lambda m: self._by_token[m.group()], text)

    def tokens(self) -> list[str]:
        return list(self._by_token)

    def stream_restorer(self) -> StreamRestorer:
        return StreamRestorer(self)


class StreamRestorer:
    """Restores placeholders in a stream of text deltas, holding back possibly-split placeholders."""

    def __init__(self, pseudonymizer: Pseudonymizer) -> None:
        self._p = pseudonymizer
        self._buffer = ""

    def feed(self, delta: str) -> str:
        """Text that is safe to emit now (restored); the rest waits for the next delta or ``flush``."""
        self._buffer += delta
        tokens = self._p.tokens()
        if not tokens:
            out, self._buffer = self._buffer, ""
            return out
        cut = self._hold_from(self._buffer, tokens)
        rx = self._p._regex()
        assert rx is not None
        # A complete match may not straddle the cut; matches are judged on the whole buffer so that a
        # word character after the cut still blocks a match before it.
        for m in rx.finditer(self._buffer):
            if m.start() < cut < m.end():
                cut = m.start()
        emit_parts: list[str] = []
        pos = 0
        for m in rx.finditer(self._buffer):
            if m.end() > cut:
                break
            emit_parts.append(self._buffer[pos:m.start()])
            emit_parts.append(self._p._by_token[m.group()])
            pos = m.end()
        emit_parts.append(self._buffer[pos:cut])
        self._buffer = self._buffer[cut:]
        return "".join(emit_parts)

    def flush(self) -> str:
        """Everything still held, restored (call once at the end of the stream)."""
        out = self._p.restore(self._buffer)
        self._buffer = ""
        return out

    @staticmethod
    def _hold_from(buffer: str, tokens: list[str]) -> int:
        """Earliest index whose suffix could still grow into a placeholder (or end one needing a boundary)."""
        longest = max(len(t) for t in tokens)
        for start in range(max(0, len(buffer) - longest), len(buffer)):
            tail = buffer[start:]
            if start > 0 and _is_word(buffer[start - 1]) and _is_word(tail[0]):
                continue  # a match cannot start inside a word
            if any(t.startswith(tail) for t in tokens):
                return start
        return len(buffer)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"
