"""Extractive answers: quote the retrieved sentences that answer the question, each with its ``[n]``.

A small local model (SmolLM2-135M) cannot follow grounding rules — asked to cite, it answered
"The sources are: 1. [1] 2. [2] …". Quoting is what such a setup can do well: every sentence of
the answer is a sentence of a document the caller may read, and its citation is right by
construction. Sentences are scored against the question with the embedder retrieval already
loaded (cosine) plus an idf-weighted overlap of the question's content words, so a sentence that
states the asked-for number ("12 weeks") beats one that merely shares the topic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from shoal.errors import ConfigError, ShoalError
from shoal.rag.config import AnswerConfig

if TYPE_CHECKING:
    from shoal.catalog import Catalog

ANSWER_MODES = ("auto", "extractive", "generative")

NOT_COVERED = "The documents available to you do not cover this."

# Model ids often state their size: SmolLM2-135M-Instruct, Qwen2.5-0.5B, Llama-3.3-70B. A digit run
# glued to a letter on its left (Mixtral-8x7B, Q4_1) is not a size.
_PARAMS = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)([MmBb])(?![A-Za-z])")
_SCALE = {"m": 1e6, "b": 1e9}

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*")
# Words that carry no content in a question; without them "how many weeks of leave" would match
# any sentence with "of".
_STOP = frozenset(["a", "an", "the", "and", "or", "but", "if", "then", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "there", "here", "you", "your", "we", "our", "they", "their", "he", "she", "his", "her", "i", "me", "my", "not", "no", "do", "does", "did", "can", "could", "should", "would", "may", "might", "must", "will", "shall", "have", "has", "had", "about", "into", "over", "under", "than", "so", "such", "also", "only", "just", "more", "most", "less", "very", "any", "all", "each", "some", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "much", "many", "long", "often", "get", "gets", "please", "tell", "know", "need", "want"])
# A sentence must say something: headings, table rules and link lists are not answers.
_MIN_WORDS = 4
# Abbreviations whose full stop does not end a sentence.
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|vs|Mr|Mrs|Ms|Dr|St|No|U\.S|approx|incl|min|max|Jan|Feb|Mar|Apr|Jun|Jul|"
                     r"Aug|Sep|Sept|Oct|Nov|Dec)\.$", re.IGNORECASE)
_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")
_MD = re.compile(r"\*\*|__|`|\[([^\]]*)\]\([^)]*\)")
# Questions asking for a quantity or a date: a sentence with a number is likelier to answer them.
_QUANTITY = re.compile(r"\b(how (?:many|much|long|often|old|soon|far)|what (?:percentage|percent|amount|number|"
                       r"age|date|year|time)|when|by what date|within what|which year)\b", re.IGNORECASE)
_HAS_NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                         r"forty|fifty|sixty|hundred|thousand|half|once|twice|annual|annually|weekly|monthly|"
                         r"daily|yearly)\b", re.IGNORECASE)
_NUMBER_BONUS = 0.1


def params_of(model_id: str) -> float | None:
    """The parameter count a model id states ("SmolLM2-135M" → 1.35e8), else ``None``."""
    found = [float(m.group(1)) * _SCALE[m.group(2).lower()] for m in _PARAMS.finditer(model_id)]
    return max(found) if found else None


def _stem(word: str) -> str:
    """A light stem so "weeks"/"week" and "employees"/"employee" meet; never shorter than 3 letters."""
    w = word.lower().removesuffix("'s")
    for suffix in ("ies", "es", "s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            return w[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return w


def content_words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP]


def _clean_line(line: str) -> str:
    line = _BULLET.sub("", line.strip())
    if line.startswith("|"):  # a table row: its cells, separated
        cells = [c.strip() for c in line.strip("|").split("|")]
        if all(set(c) <= set("-: ") for c in cells):
            return ""
        line = "; ".join(c for c in cells if c)
    line = _MD.sub(lambda m: m.group(1) or "", line)
    return " ".join(line.split())


def _units(text: str) -> list[str]:
    """Paragraphs with their wrapped lines joined; a bullet or table row is a unit of its own."""
    units: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            units.append(" ".join(current))
            current.clear()

    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            flush()
            continue
        if _BULLET.match(raw) or stripped.startswith("|"):
            flush()
            units.append(stripped)
            continue
        current.append(stripped)
    flush()
    return units


def split_sentences(text: str) -> list[str]:
    """Sentences of a chunk: headings dropped, bullets and table rows as sentences, abbreviations kept."""
    out: list[str] = []
    for unit in _units(text):
        line = _clean_line(unit)
        if not line:
            continue
        merged: list[str] = []
        for piece in _SPLIT.split(line):
            if merged and _ABBREV.search(merged[-1]):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        out.extend(p.strip() for p in merged if p.strip())
    # A fragment too short to say anything ("See also:", a lone link) is no answer.
    return [s for s in out if len(_WORD.findall(s)) >= _MIN_WORDS]


@dataclass(frozen=True, slots=True)
class Candidate:
    number: int  # the citation number of its chunk
    position: int  # order within the chunk
    text: str
    score: float = 0.0


Embed = Callable[[Sequence[str]], list[list[float]]]


class ExtractiveAnswerer:
    """Decides which models answer extractively and writes those answers (``shoal.pipeline.Answerer``).

    ``model_id`` maps a configured model name to its model id (``None`` when unknown); ``embed``
    returns unit-length-or-not vectors for texts (the RAG embedder), and is only called for an answer.
    """

    def __init__(self, config: AnswerConfig, model_id: Callable[[str], str | None], embed: Embed) -> None:
        self.config = config
        self._model_id = model_id
        self._embed = embed

    @classmethod
    def for_catalog(cls, config: AnswerConfig, catalog: Catalog, embedder: str) -> ExtractiveAnswerer:
        """Model ids from the catalog; sentences embedded with ``embedder`` (the one retrieval uses)."""
        from shoal.rag.embedding import embed_texts

        def model_id(name: str) -> str | None:
            try:
                return catalog.spec(name, resolve_secret=False).model_id
            except ShoalError:
                return None

        return cls(config, model_id, lambda texts: embed_texts(catalog.embedding_model(embedder), texts))

    def extractive_for(self, model: str, mode: str | None = None) -> bool:
        """Whether ``model`` answers grounded requests extractively under ``mode`` (default: the config's)."""
        chosen = self.config.mode if mode is None else mode
        if chosen not in ANSWER_MODES:
            raise ConfigError(f"unknown answer mode {chosen!r}", hint=f"use one of {', '.join(ANSWER_MODES)}")
        if chosen != "auto":
            return chosen == "extractive"
        if model in self.config.extractive_models:
            return True
        if model in self.config.generative_models:
            return False
        model_id = self._model_id(model)
        size = params_of(model_id) if model_id else None
        return size is not None and size < self.config.extractive_below_params

    def answer(self, question: str, passages: Sequence[str], titles: Sequence[str] = ()) -> str:
        """The answer text: chosen sentences in document order, each followed by its ``[n]``.

        ``passages[i]`` is the text of source ``i + 1``; ``titles[i]`` its title and section.
        """
        chosen = self.select(question, passages, titles)
        if not chosen:
            return NOT_COVERED
        return " ".join(f"{_end(c.text)} [{c.number}]" for c in chosen)

    def select(self, question: str, passages: Sequence[str], titles: Sequence[str] = ()) -> list[Candidate]:
        cfg = self.config
        candidates = self._candidates(passages)
        if not candidates or not question.strip():
            return []
        heads = {n: t for n, t in enumerate(titles, start=1) if t}
        # The embedder sees the sentence under its document's title and section, so "It lasts 12
        # weeks." is still about parental leave; the quote is the sentence alone.
        texts = [f"{heads[c.number]}: {c.text}" if c.number in heads else c.text for c in candidates]
        vectors = np.asarray(self._embed([question, *texts]), dtype=np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        dense = vectors[1:] @ vectors[0]
        lexical = _overlap(question, [c.text for c in candidates], [heads.get(c.number, "") for c in candidates])
        quantity = bool(_QUANTITY.search(question))
        scored = []
        for c, d, lex in zip(candidates, dense.tolist(), lexical, strict=True):
            score = cfg.dense_weight * d + (1 - cfg.dense_weight) * lex
            if quantity and _HAS_NUMBER.search(c.text):
                score += _NUMBER_BONUS
            scored.append(Candidate(c.number, c.position, c.text, score))
        ranked = sorted(scored, key=lambda c: (-c.score, c.number, c.position))
        best = ranked[0]
        if best.score < cfg.min_score:
            return []
        chosen = [best]
        used = len(best.text)
        for c in ranked[1:]:
            if len(chosen) >= cfg.max_sentences or c.score < best.score * cfg.relative_cutoff:
                break
            if used + len(c.text) > cfg.max_chars:
                continue
            chosen.append(c)
            used += len(c.text)
        return sorted(chosen, key=lambda c: (c.number, c.position))

    @staticmethod
    def _candidates(passages: Sequence[str]) -> list[Candidate]:
        seen: set[str] = set()
        out: list[Candidate] = []
        for number, passage in enumerate(passages, start=1):
            for position, sentence in enumerate(split_sentences(passage)):
                key = " ".join(sentence.lower().split())
                if key in seen:  # chunk overlap repeats sentences: quote each once, under its first source
                    continue
                seen.add(key)
                out.append(Candidate(number, position, sentence))
        return out


def _overlap(question: str, sentences: Sequence[str], titles: Sequence[str]) -> list[float]:
    """Share of the question's content words (idf-weighted over these sentences) each sentence has.

    A word found only in the sentence's title or section counts half: it places the sentence in the
    right document but does not make it the answer.
    """
    q = set(content_words(question))
    if not q:
        return [0.0] * len(sentences)
    bags = [set(content_words(s)) for s in sentences]
    heads = [set(content_words(t)) for t in titles]
    n = len(bags)
    idf = {w: math.log(1 + n / (1 + sum(w in b for b in bags))) for w in q}
    total = sum(idf.values())
    return [sum(idf[w] * (1.0 if w in b else 0.5 if w in h else 0.0) for w in q) / total
            for b, h in zip(bags, heads, strict=True)]


def _end(sentence: str) -> str:
    return sentence if sentence[-1:] in ".!?:;" else sentence + "."
