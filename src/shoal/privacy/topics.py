"""Confidential topics without personal data: "we are laying off 40 people in Q3, draft the memo".

Two small linear models trained from the seed examples shipped in ``data/topics.yaml`` (plus any
the config adds). The default models ship pre-trained in ``data/topic_models.bin`` (see
``shoal.privacy.build_data``); a config that changes the examples trains once and caches the result
by content digest (see ``shoal.privacy.topic_store``):

- the *topic* model: which subject a request is about (compensation, layoffs... or none). Features
  are word uni/bigrams and character 4-grams, so "laying off", "layoffs" and "let go of" share
  evidence and paraphrases are not lost on one missing keyword;
- the *specificity* model: whether the request carries confidential facts (our people, our numbers,
  dates, plans, a named person) or asks about the subject in general ("how does a PIP usually
  work?"). Its features add cue counts: possessives, first-person plural, numbers, capitalised
  names, imperative drafting verbs, and generic phrasing ("usually", "in general", "what is a").

A request is confidential on a topic when both agree: topic probability ≥ ``threshold`` and
specificity ≥ ``specificity_threshold``. A named person (found by the PII scan) makes a request
on a topic specific.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from operator import itemgetter
from pathlib import Path
from typing import Any

import yaml

from shoal.errors import ConfigError
from shoal.privacy._native import compiled
from shoal.privacy.config import TopicsConfig
from shoal.privacy.digit_gates import matches_at
from shoal.privacy.linear import LinearModel, train
from shoal.privacy.normalize import caseless, lowered_pattern
from shoal.privacy.types import LEVELS, Level

log = logging.getLogger(__name__)

NONE = "none"
_STEPS = 60  # full-batch Adam steps; converged on the seed set (more steps change no decision)
# Bump when featurize(), specificity_features() or train() change: it is part of the digest that
# decides whether shipped or cached models still fit this code.
TRAINING_VERSION = 1
_SEED_FILE = "data/topics.yaml"
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


# ``_WORD.findall`` in one pass of C where it was built (a quarter of ``re``'s time on a long prompt).
_words_of: Callable[[str], list[str]] = compiled("_wordscan", "topic_words") or _WORD.findall
_NUMBER = re.compile(r"^\d+(?:st|nd|rd|th|k|m|s)?$")
_CUES: dict[str, re.Pattern[str]] = {
    "possessive": re.compile(r"\b[A-Za-z]+['’]s\b(?!\s+(?:a|the|it|there)\b)"),
    "first_person_plural": re.compile(r"\b(?:we|we're|we've|we'll|our|ours|us)\b", re.IGNORECASE),
    "first_person": re.compile(r"\b(?:my|i'm|i've|i|me)\b", re.IGNORECASE),
    "number": re.compile(r"\d"),
    "money": re.compile(r"[$€£]\s?\d|\d\s?(?:k|m|million|billion|percent|%)\b", re.IGNORECASE),
    "time_ref": re.compile(r"\b(?:q[1-4]|this (?:year|quarter|month|week)|next (?:year|quarter|month|week)|"
                           r"last (?:year|quarter|month|week|night)|yesterday|tomorrow|today|monday|tuesday|"
                           r"wednesday|thursday|friday|january|february|march|april|may|june|july|august|"
                           r"september|october|november|december)\b", re.IGNORECASE),
    "proper_name": re.compile(r"(?<=[a-z,;] )[A-Z][a-z]+"),
    "imperative": re.compile(r"^(?:please\s+)?(?:draft|write|prepare|summari[sz]e|list|update|calculate|compare|"
                             r"review|record|put|give|explain to|tell|send|rewrite|plan|check|find)\b", re.IGNORECASE),
    "deictic": re.compile(r"\b(?:this|these|the following|here is|here are|attached)\b", re.IGNORECASE),
    "generic": re.compile(r"\b(?:usually|typically|typical|in general|generally|common|commonly|best practices?|"
                          r"what is an?|what are|what's the difference|difference between|how does|how do|"
                          r"how is|how are|explain(?! to)|is it|are there|why do|on average|in the us|"
                          r"in the uk|in the eu|in germany|in france|companies|employees|a company)\b", re.IGNORECASE),
}


# The case-insensitive cues whose pattern has no upper-case letter, compiled case-sensitively for
# lower-cased ASCII text (see ``specificity_groups``).
_CUES_LOWER: dict[str, re.Pattern[str]] = {
    name: lowered for name, rx in _CUES.items() if (lowered := lowered_pattern(rx)) is not None}

Lexicon = tuple[tuple[str, "re.Pattern[str]"], ...]


def compile_lexicon(terms: dict[str, list[str]]) -> Lexicon:
    """One word-prefix pattern per topic ("terminat" matches "termination", "terminating")."""
    out = []
    for name in sorted(terms):
        words = sorted({t.strip().lower() for t in terms[name] if t.strip()}, key=lambda w: (-len(w), w))
        if words:
            out.append((name, re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + ")")))
    return tuple(out)


def feature_groups(text: str, lexicon: Lexicon = ()) -> list[tuple[str, float, list[str]]]:
    """The features of ``text`` as (namespace, value, names) groups (see ``featurize``)."""
    groups = _base_groups(text)
    if lexicon:
        groups += _lexicon_groups(text.lower(), lexicon)
    return groups


def _base_groups(text: str, lowered: str | None = None) -> list[tuple[str, float, list[str]]]:
    """Word, character 4-gram and bigram groups of ``text`` (shared by both models); ``lowered`` is
    ``text.lower()`` when the caller has it."""
    words = list(map(_token, _words_of(text.lower() if lowered is None else lowered)))
    # dict.fromkeys de-duplicates in a fixed order (sets would make training order hash-dependent).
    unique = list(dict.fromkeys(words))
    grams = list(dict.fromkeys(itertools.chain.from_iterable(map(_grams, unique))))
    bigrams = list(dict.fromkeys(map("_".join, itertools.pairwise(words))))  # "a_b", built in C
    norm = (len(unique) + len(bigrams) + 0.25 * len(grams)) ** 0.5 or 1.0
    return [("w", 1.0 / norm, unique), ("c", 0.5 / norm, grams), ("b", 1.0 / norm, bigrams)]


def _lexicon_groups(lowered: str, lexicon: Lexicon) -> list[tuple[str, float, list[str]]]:
    """One ``lex`` group per topic whose terms occur in ``lowered``, valued by the count (capped at 3).

    A term matches only at the start of a word, and begins with its lead (``_lexicon_gate``): so
    instead of running every topic's pattern over the whole text, each word start is looked up by
    its first one to three characters, and only the topics with a term of that lead try their
    pattern right there (``match`` at the position, in order, past the previous match: what
    ``finditer`` counts).
    """
    leads, always = _lexicon_index(lexicon)
    by_run = _lead_topics(lexicon)
    hits = [0] * len(lexicon)
    free = [0] * len(lexicon)  # where each topic's next match may start (after the last one)
    for pos in _term_starts(lexicon)(lowered):  # the word starts where some topic's term starts
        run = lowered[pos:pos + 3]
        topics = by_run.get(run)
        if topics is None:
            topics = _topics_of_run(leads, run, by_run)
        for t in topics:
            if hits[t] < 3 and pos >= free[t]:
                found = lexicon[t][1].match(lowered, pos)
                if found is not None:
                    hits[t] += 1
                    free[t] = found.end()
    for t in always:
        hits[t] = _count(lexicon[t][1], lowered, 3)
    return [("lex", min(h, 3) / 2, [lexicon[t][0]]) for t, h in enumerate(hits) if h]


@lru_cache(maxsize=16)
def _lead_topics(lexicon: Lexicon) -> dict[str, tuple[int, ...]]:
    """The (bounded) cache of ``_topics_of_run`` for one lexicon."""
    return {}


def _topics_of_run(leads: dict[str, tuple[int, ...]], run: str, cache: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
    """The topics with a term whose lead is a prefix of ``run`` (a word's first three characters),
    each once: a topic with leads of two lengths there would only try its pattern at the same
    position twice, and the second try cannot match where the first did not (or past its end)."""
    found = tuple(dict.fromkeys(t for n in range(1, len(run) + 1) for t in leads.get(run[:n], ())))
    if len(cache) >= _RUN_CACHE_LIMIT:
        cache.clear()
    cache[run] = found
    return found


_RUN_CACHE_LIMIT = 50_000


@lru_cache(maxsize=16)
def _lexicon_index(lexicon: Lexicon) -> tuple[dict[str, tuple[int, ...]], tuple[int, ...]]:
    """Lead → the topics (indices) with a term of that lead; and the topics whose pattern must run whole."""
    leads: dict[str, list[int]] = {}
    always: list[int] = []
    for t, (_, rx) in enumerate(lexicon):
        needs, whole = _lexicon_gate(rx.pattern)
        if whole:
            always.append(t)
            continue
        for lead in needs:
            leads.setdefault(lead, []).append(t)
    return {lead: tuple(ts) for lead, ts in leads.items()}, tuple(always)


def _gated_terms(lexicon: Lexicon) -> tuple[str, ...]:
    """The terms of the topics ``_lexicon_gate`` accepts, sorted, each once."""
    return tuple(sorted({term for _, rx in lexicon if not _lexicon_gate(rx.pattern)[1] for term in _terms(rx.pattern)}))


@lru_cache(maxsize=16)
def _term_pattern(lexicon: Lexicon) -> re.Pattern[str]:
    """A pattern finding the word starts where some gated topic's term starts.

    A zero-width look-ahead: every word start where some term (of any topic) starts, overlapping
    ones included. A topic's pattern matches at a position only if one of its terms starts there,
    so the other word starts (most of them: a lead alone, "the", "con", "k", hits every few words)
    change nothing and are never visited. The terms as a trie (one branch per next character): ``re``
    would try a flat alternation's branches one by one at every word start."""
    terms = _gated_terms(lexicon)
    return re.compile(r"\b(?=" + _trie(list(terms)) + ")" if terms else r"(?!)")


@lru_cache(maxsize=16)
def _term_starts(lexicon: Lexicon) -> Callable[[str], list[int]]:
    """Where ``_term_pattern`` matches in a text: in one pass of C where it was built
    (``shoal.privacy._wordscan.term_starts``: the same positions), else by that pattern. ``re`` tried
    the trie at every position, a quarter of a millisecond on a 2,000-token prompt."""
    term_starts = compiled("_wordscan", "term_starts")
    if term_starts is None:
        term_rx = _term_pattern(lexicon)
        return lambda text: [m.start() for m in term_rx.finditer(text)]
    terms = _gated_terms(lexicon)
    return lambda text: term_starts(text, terms)


def _terms(pattern: str) -> list[str]:
    """The terms of a ``compile_lexicon`` pattern that ``_lexicon_gate`` accepts (``\\b(?:a|b\\ c)``)."""
    return [re.sub(r"\\(.)", r"\1", alternative) for alternative in re.split(r"(?<!\\)\|", pattern[5:-1])]


def _trie(words: list[str]) -> str:
    """A pattern matching exactly ``words`` (non-empty strings), branching on one character at a time."""
    rest: dict[str, list[str]] = {}
    ends = False
    for word in words:
        if word:
            rest.setdefault(word[0], []).append(word[1:])
        else:
            ends = True
    if not rest:
        return ""
    body = "(?:" + "|".join(re.escape(c) + _trie(tails) for c, tails in sorted(rest.items())) + ")"
    return body + "?" if ends else body


def _count(rx: re.Pattern[str], text: str, cap: int) -> int:
    """``min(len(rx.findall(text)), cap)``, stopping at the ``cap``-th match (counts are capped anyway)."""
    n = 0
    for _ in rx.finditer(text):
        n += 1
        if n >= cap:
            break
    return n


@lru_cache(maxsize=65536)
def _token(word: str) -> str:
    return "<num>" if _NUMBER.match(word) else word


@lru_cache(maxsize=65536)
def _grams(word: str) -> tuple[str, ...]:
    """The character 4-grams of ``^word$`` in order (cached: vocabulary repeats across requests)."""
    padded = f"^{word}$"
    return tuple(padded[i:i + 4] for i in range(len(padded) - 3))


_WORD_START = re.compile(r"\b\w{1,3}")


@lru_cache(maxsize=256)
def _lexicon_gate(pattern: str) -> tuple[frozenset[str], bool]:
    r"""What a word of the text must start with for a ``compile_lexicon`` pattern to match in it.

    Each term matches only at the start of a run of word characters (the pattern's ``\b``), so
    that run starts with the term's own leading word characters, up to three of them. Returns
    (those starts, always): ``always`` when the pattern is not of the ``\b(?:term|...)`` form or a
    term does not start with a word character, and the pattern must simply run.
    """
    if not (pattern.startswith("\\b(?:") and pattern.endswith(")")) or "\\\\" in pattern:
        return frozenset(), True
    needs: set[str] = set()
    for alternative in re.split(r"(?<!\\)\|", pattern[5:-1]):
        lead = _LEADING_WORD.match(re.sub(r"\\(.)", r"\1", alternative))
        if lead is None:
            return frozenset(), True
        needs.add(lead.group())
    return frozenset(needs), False


_LEADING_WORD = re.compile(r"\w{1,3}")


def featurize(text: str, lexicon: Lexicon = ()) -> dict[str, float]:
    """Sparse, L2-normalised bag of word uni/bigrams and in-word character 4-grams, plus one count
    feature per topic lexicon (the lexicon carries synonyms that the examples may not)."""
    (_, word_value, unique), (_, gram_value, _), (_, bigram_value, bigrams), *lex = feature_groups(text, lexicon)
    # Word by word, each word's grams after it: the vocabulary order the shipped models were trained in.
    out: dict[str, float] = {}
    for w in unique:
        out["w:" + w] = word_value
        padded = f"^{w}$"
        for i in range(len(padded) - 3):
            out.setdefault("c:" + padded[i:i + 4], gram_value)
    for bigram in bigrams:
        out["b:" + bigram] = bigram_value
    for _, value, (name,) in lex:
        out["lex:" + name] = value
    return out


def specificity_groups(text: str, base: list[tuple[str, float, list[str]]] | None = None, *,
                       lower_text: str | None = None) -> list[tuple[str, float, list[str]]]:
    """``feature_groups(text)`` (or ``base``, when the caller already has them) plus the cue counts;
    ``lower_text`` is ``text.lower()`` when the caller has it."""
    groups = list(base) if base is not None else feature_groups(text)
    low = caseless(text, lower_text)  # case-insensitive cues run case-sensitively on it: the same matches, faster
    digit = _CUES["number"].search(text) is not None
    for name, rx in _CUES.items():
        lowered = _CUES_LOWER.get(name)
        if name == "possessive":
            count = len(matches_at(rx, text, _possessive_starts(text)))
        elif name == "money" and not digit:
            count = 0  # every match holds a digit
        else:
            count = _count(lowered, low, 3) if lowered is not None and low is not None else _count(rx, text, 3)
        if count:
            groups.append(("cue", min(count, 3) / 1.5, [name]))
    return groups


_QUOTE_S = re.compile(r"['’]s")
_ASCII_LETTERS = frozenset(string.ascii_letters)


def _possessive_starts(text: str) -> Iterator[int]:
    """Where the ``possessive`` cue can match, ascending: a match is ASCII letters, a quote and "s",
    and its ``\\b`` start can only be the first of the letters right before a quote (a start inside
    them has a letter on both sides). ``matches_at`` there finds what ``finditer`` finds, without
    the pattern trying every word of the text."""
    for m in _QUOTE_S.finditer(text):
        quote = start = m.start()
        while start > 0 and text[start - 1] in _ASCII_LETTERS:
            start -= 1
        if start < quote:
            yield start


def specificity_features(text: str) -> dict[str, float]:
    feats = featurize(text)
    for _, value, (name,) in specificity_groups(text)[3:]:
        feats["cue:" + name] = value
    return feats


@dataclass(frozen=True)
class SeedData:
    examples: dict[str, list[str]]
    generic: dict[str, list[str]]
    terms: dict[str, list[str]]
    negatives: list[str]
    levels: dict[str, Level]


def load_seed(config: TopicsConfig) -> SeedData:
    """The shipped seed examples, with the config's removals, additions and extra examples applied."""
    raw: Any = yaml.load(_seed_bytes().decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    examples = {name: list(spec["examples"]) for name, spec in raw["topics"].items()}
    generic = {name: list(spec.get("generic", [])) for name, spec in raw["topics"].items()}
    terms = {name: [str(t) for t in spec.get("terms", [])] for name, spec in raw["topics"].items()}
    negatives = list(raw["negatives"])
    levels: dict[str, Level] = {}
    for name in config.remove:
        if name not in examples:
            raise ConfigError(f"unknown topic {name!r}", key="privacy.topics.remove",
                              hint=f"built-in topics: {', '.join(sorted(examples))}")
        negatives += generic.pop(name)  # still "not confidential", now merely off-topic
        del examples[name]
        del terms[name]
    for name, spec in config.add.items():
        if name in examples or name == NONE:
            raise ConfigError(f"topic {name!r} already exists", key=f"privacy.topics.add.{name}",
                              hint="use privacy.topics.extra_examples to extend a built-in topic")
        examples[name] = list(spec.examples)
        generic[name] = []
        terms[name] = list(spec.terms)
        if spec.level:
            levels[name] = spec.level
    for name, extra in config.extra_examples.items():
        if name not in examples:
            raise ConfigError(f"unknown topic {name!r}", key=f"privacy.topics.extra_examples.{name}",
                              hint=f"topics: {', '.join(sorted(examples))}")
        examples[name] += extra
    negatives += config.extra_negatives
    for group in (*examples.values(), *generic.values(), negatives):
        for item in group:
            if not isinstance(item, str) or not item.strip():
                raise ConfigError(f"topic example {item!r} is not a non-empty string",
                                  file="shoal/privacy/data/topics.yaml", hint="quote examples that contain ': '")
    return SeedData(examples, generic, terms, negatives, levels)


def _seed_bytes() -> bytes:
    return resources.files("shoal.privacy").joinpath(_SEED_FILE).read_bytes()


def seed_digest(config: TopicsConfig) -> str:
    """Digest of everything training depends on: the seed file, the config's topic changes, the
    training code's version. Thresholds are applied after training and are not part of it."""
    changes = config.model_dump(include={"remove", "add", "extra_examples", "extra_negatives"}, mode="json")
    h = hashlib.sha256()
    h.update(_seed_bytes())
    h.update(json.dumps({"changes": changes, "steps": _STEPS, "version": TRAINING_VERSION},
                        sort_keys=True).encode("utf-8"))
    return h.hexdigest()


class TopicDetector:
    """The two trained models and the thresholds that combine them."""

    def __init__(self, topic_model: LinearModel, specificity_model: LinearModel, *, lexicon: Lexicon,
                 threshold: float, specificity_threshold: float, levels: dict[str, Level]) -> None:
        self.lexicon = lexicon
        self.topic_model = topic_model
        self.specificity_model = specificity_model
        self.threshold = threshold
        self.specificity_threshold = specificity_threshold
        self._levels = levels
        self._words: dict[str, _WordEntry] = {}  # bounded: see ``_word_entry``
        self._pairs: dict[int, dict[tuple[str, ...], int]] = {}  # by id(model): see ``_pair_rows``

    @classmethod
    def train(cls, seed: SeedData, *, threshold: float = 0.5, specificity_threshold: float = 0.5) -> TopicDetector:
        texts: list[str] = []
        labels: list[str] = []
        for name in sorted(seed.examples):
            for text in seed.examples[name] + seed.generic[name]:
                texts.append(text)
                labels.append(name)
        texts += seed.negatives
        labels += [NONE] * len(seed.negatives)
        lexicon = compile_lexicon(seed.terms)
        topic_model = train([featurize(t, lexicon) for t in texts], labels, l2=1e-4, steps=_STEPS)
        spec_texts = [t for name in sorted(seed.examples) for t in seed.examples[name]]
        gen_texts = [t for name in sorted(seed.generic) for t in seed.generic[name]]
        # Off-topic requests are neither; they teach the model that "write"/"our" alone is not specific.
        spec_labels = ["specific"] * len(spec_texts) + ["generic"] * len(gen_texts)
        weight = {"specific": 1.0, "generic": len(spec_texts) / max(len(gen_texts), 1)}
        spec_model = train([specificity_features(t) for t in spec_texts + gen_texts], spec_labels,
                           l2=1e-3, steps=_STEPS, class_weight=weight)
        return cls(topic_model, spec_model, lexicon=lexicon, threshold=threshold, specificity_threshold=specificity_threshold,
                   levels=seed.levels)

    @staticmethod
    def for_config(config: TopicsConfig) -> TopicDetector:
        """The detector for a topics config: the shipped models for the built-in topics, else models
        trained once and cached by digest; one instance per distinct config in a process."""
        return _for_config(config.model_dump_json())

    def to_bytes(self, digest: str) -> bytes:
        """The trained models in the ``topic_store`` format, tagged with the training ``digest``."""
        from shoal.privacy.topic_store import dump_models

        return dump_models({"topic": self.topic_model, "specificity": self.specificity_model}, digest=digest,
                           lexicon={name: rx.pattern for name, rx in self.lexicon},
                           levels=dict(self._levels))

    @classmethod
    def from_stored(cls, models: dict[str, LinearModel], header: dict[str, Any], *, threshold: float,
                    specificity_threshold: float) -> TopicDetector:
        lexicon = tuple((name, re.compile(pattern)) for name, pattern in sorted(header["lexicon"].items()))
        levels: dict[str, Level] = {k: v for k, v in header["levels"].items() if v in LEVELS}
        return cls(models["topic"], models["specificity"], lexicon=lexicon, threshold=threshold,
                   specificity_threshold=specificity_threshold, levels=levels)

    def level_of(self, topic: str) -> Level | None:
        return self._levels.get(topic)

    def specificity(self, text: str, base: list[tuple[str, float, list[str]]] | None = None, *,
                    lowered: str | None = None) -> float:
        probs = self.specificity_model.grouped_probabilities(specificity_groups(text, base, lower_text=lowered))
        return float(probs[self.specificity_model.classes.index("specific")])

    def topic_probabilities(self, text: str, base: list[tuple[str, float, list[str]]] | None = None,
                            *, lowered: str | None = None) -> dict[str, float]:
        """Probability of each topic; ``base`` and ``lowered`` (``text.lower()``) when the caller has them."""
        if lowered is None:
            lowered = text.lower()
        groups = list(base) if base is not None else _base_groups(text, lowered)
        groups += _lexicon_groups(lowered, self.lexicon) if self.lexicon else []
        probs = self.topic_model.grouped_probabilities(groups)
        return {c: float(p) for c, p in zip(self.topic_model.classes, probs, strict=True) if c != NONE}

    def detect(self, text: str, *, person_found: bool = False) -> list[tuple[str, float]]:
        """Confidential topics of ``text``: on the topic and specific enough. Best first.

        The same probabilities as ``topic_probabilities`` and ``specificity`` (to rounding: the same
        weight rows, summed by numpy in another order), with each word's part cached (``_word_entry``):
        its character 4-grams and the rows of its word and gram features in both models. Per text
        only the distinct-gram count, the bigrams and the order of first occurrence remain to compute.
        """
        lowered = text.lower()
        words = list(map(_token, _words_of(lowered)))
        unique = list(dict.fromkeys(words))
        cache = self._words
        entries = [cache.get(w) or self._word_entry(w) for w in unique]
        n_grams = len(frozenset().union(*[e[0] for e in entries]))
        # Word pairs as tuples, not joined "a_b" strings: a tuple's hash combines its words' cached
        # hashes, where each joined string was built and hashed anew (``_pair_rows``).
        bigrams = list(dict.fromkeys(itertools.pairwise(words)))
        norm = (len(unique) + len(bigrams) + 0.25 * n_grams) ** 0.5 or 1.0
        word_value, gram_value = 1.0 / norm, 0.5 / norm
        model = self.topic_model
        lex = _lexicon_groups(lowered, self.lexicon) if self.lexicon else []
        bigram_index = self._pair_rows(model)
        probs = model.row_probabilities([
            (word_value, [e[1] for e in entries if e[1] is not None]),
            (gram_value, list(dict.fromkeys(itertools.chain.from_iterable(map(itemgetter(2), entries))))),
            (word_value, [i for i in map(bigram_index.get, bigrams) if i is not None]),
            *((value, [i for i in map(model.row_index(ns).get, names) if i is not None])
              for ns, value, names in lex)])
        candidates = [(name, float(p)) for name, p in zip(model.classes, probs, strict=True)
                      if name != NONE and p >= self.threshold]
        if not candidates:
            return []
        if not person_found:
            spec = self.specificity_model
            bigram_index = self._pair_rows(spec)
            cues = specificity_groups(text, [], lower_text=lowered)
            probs = spec.row_probabilities([
                (word_value, [e[3] for e in entries if e[3] is not None]),
                (gram_value, list(dict.fromkeys(itertools.chain.from_iterable(map(itemgetter(4), entries))))),
                (word_value, [i for i in map(bigram_index.get, bigrams) if i is not None]),
                *((value, [i for i in map(spec.row_index(ns).get, names) if i is not None])
                  for ns, value, names in cues)])
            if float(probs[spec.classes.index("specific")]) < self.specificity_threshold:
                return []
        return sorted(candidates, key=lambda item: (-item[1], item[0]))

    def _pair_rows(self, model: LinearModel) -> dict[tuple[str, ...], int]:
        """``model``'s ``b`` rows keyed by the word pair (``("laying", "off")`` for ``"laying_off"``: words
        hold no "_"), built once per model."""
        rows = self._pairs.get(id(model))
        if rows is None:
            rows = self._pairs[id(model)] = {tuple(name.split("_")): i for name, i in model.row_index("b").items()}
        return rows

    def _word_entry(self, word: str) -> _WordEntry:
        """A word's 4-grams, and the row of its ``w`` feature and the rows of its known ``c``
        features (in the word's gram order) in the topic model, then the same in the specificity model."""
        grams = _grams(word)
        topic_w, topic_c = self.topic_model.row_index("w"), self.topic_model.row_index("c")
        spec_w, spec_c = self.specificity_model.row_index("w"), self.specificity_model.row_index("c")
        # The grams as the tuple ``_grams`` made, not a frozenset: a tuple of strings leaves the garbage
        # collector's lists once it has survived a collection, a set never does, and this cache holds up
        # to 100,000 entries that every full collection would walk.
        entry = (grams,
                 topic_w.get(word), tuple(i for i in map(topic_c.get, grams) if i is not None),
                 spec_w.get(word), tuple(i for i in map(spec_c.get, grams) if i is not None))
        if len(self._words) >= _WORD_CACHE_LIMIT:
            self._words.clear()
        self._words[word] = entry
        return entry


_WordEntry = tuple[tuple[str, ...], int | None, tuple[int, ...], int | None, tuple[int, ...]]
_WORD_CACHE_LIMIT = 100_000


@lru_cache(maxsize=8)
def _for_config(config_json: str) -> TopicDetector:
    from shoal.privacy.topic_store import TOPICS_FILE, cache_dir, read_cached, write_cache

    config = TopicsConfig.model_validate_json(config_json)
    digest = seed_digest(config)
    shipped = Path(str(resources.files("shoal.privacy").joinpath("data", TOPICS_FILE)))
    cached = cache_dir() / f"topics-{digest[:32]}.bin"
    for path in (shipped, cached):
        found = read_cached(path, digest)
        if found is not None:
            return TopicDetector.from_stored(*found, threshold=config.threshold,
                                             specificity_threshold=config.specificity_threshold)
    if config == TopicsConfig(threshold=config.threshold, specificity_threshold=config.specificity_threshold):
        log.warning("the shipped topic models do not match data/topics.yaml; training them now "
                    "(run `python -m shoal.privacy.build_data topics` to rebuild the shipped file)")
    detector = TopicDetector.train(load_seed(config), threshold=config.threshold,
                                   specificity_threshold=config.specificity_threshold)
    write_cache(cached, detector.to_bytes(digest))
    return detector
