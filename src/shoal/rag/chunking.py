"""Split a loaded document into chunks that respect its structure.

A chunk never spans two sections or two PDF pages (so its citation is exact). Inside a block,
whole paragraphs are packed up to ``size`` characters; a paragraph that is too long is split at
lines, then sentences, then words. Consecutive chunks of one block share ``overlap`` characters
(cut at a word boundary) so a fact straddling a boundary is still found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shoal.rag.types import Block, LoadedDocument

_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


@dataclass(frozen=True, slots=True)
class TextChunk:
    text: str
    section: str
    page: int | None


def _pieces(text: str, size: int) -> list[str]:
    """Break text into units no longer than ``size``, preferring the coarsest natural boundary."""
    text = text.strip()
    if len(text) <= size:
        return [text] if text else []
    for splitter in (_PARAGRAPHS, re.compile(r"\n"), _SENTENCE_END):
        parts = [p.strip() for p in splitter.split(text) if p.strip()]
        if len(parts) > 1:
            out: list[str] = []
            for part in parts:
                out.extend(_pieces(part, size))
            return out
    # One unbroken run (a huge sentence or a table row): cut at word boundaries.
    words, out, current = text.split(), [], ""
    for word in words:
        while len(word) > size:  # pathological tokens (base64, URLs): hard cut
            if current:
                out.append(current)
                current = ""
            out.append(word[:size])
            word = word[size:]
        if current and len(current) + 1 + len(word) > size:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return out


def _tail(text: str, overlap: int) -> str:
    if overlap <= 0 or len(text) <= overlap:
        return "" if overlap <= 0 else text
    cut = text[-overlap:]
    space = cut.find(" ")
    return cut[space + 1:] if 0 <= space < len(cut) - 1 else cut


def chunk_block(block: Block, size: int, overlap: int) -> list[TextChunk]:
    chunks: list[TextChunk] = []
    current = ""
    joiner = "\n\n"
    for piece in _pieces(block.text, size):
        if not current:
            current = piece
        elif len(current) + len(joiner) + len(piece) <= size:
            current = current + joiner + piece
        else:
            chunks.append(TextChunk(current, block.section, block.page))
            tail = _tail(current, overlap)
            current = f"{tail} {piece}" if tail and len(tail) + 1 + len(piece) <= size + overlap else piece
    if current:
        chunks.append(TextChunk(current, block.section, block.page))
    return chunks


def chunk_document(doc: LoadedDocument, size: int, overlap: int) -> list[TextChunk]:
    """All chunks of a document, in reading order."""
    out: list[TextChunk] = []
    for block in doc.blocks:
        out.extend(chunk_block(block, size, overlap))
    return out
