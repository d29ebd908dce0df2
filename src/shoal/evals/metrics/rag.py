"""RAG metrics: is the answer grounded in what was retrieved, do its citations point at retrieved
chunks, and were the expected documents retrieved (recall@k)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from shoal.evals.dataset import EvalItem
from shoal.evals.metrics.base import Metric, MetricContext, MetricResult, SampleOutput
from shoal.evals.metrics.text import sentences, tokens

_CITE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# Words that carry no claim; without this list, grounding would be inflated by "the", "is"...
_STOP = frozenset(["a", "an", "the", "and", "or", "but", "if", "then", "else", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "there", "here", "you", "your", "we", "our", "they", "their", "he", "she", "his", "her", "i", "me", "my", "not", "no", "yes", "do", "does", "did", "can", "could", "should", "would", "may", "might", "must", "will", "shall", "have", "has", "had", "about", "into", "over", "under", "than", "so", "such", "also", "only", "just", "more", "most", "less", "very", "any", "all", "each", "some", "what", "which", "who", "whom", "whose", "when", "where", "why", "how"])


class _P(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _content_tokens(text: str) -> list[str]:
    return [t for t in tokens(_CITE.sub(" ", text)) if t not in _STOP and len(t) > 1]


class Groundedness(Metric):
    """Share of answer sentences whose content words are found in the retrieved chunks."""

    name = "groundedness"
    group = "rag"

    class Params(_P):
        min_support: float = Field(default=0.6, gt=0, le=1,
                                   description="share of a sentence's content words the context must contain")

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        if not output.is_rag:
            return MetricResult.na("not a RAG target")
        context = output.context or " ".join(c.text for c in output.retrieved)
        if not context.strip():
            return MetricResult.na("nothing was retrieved")
        vocab = set(_content_tokens(context))
        claims = [toks for toks in (_content_tokens(s) for s in sentences(output.text)) if toks]
        if not claims:
            return MetricResult.na("the answer makes no claim")
        grounded = sum(1 for toks in claims if sum(t in vocab for t in toks) / len(toks) >= self.params.min_support)
        return MetricResult.score(grounded / len(claims), f"{grounded}/{len(claims)} sentences supported")


class CitationValidity(Metric):
    """Share of ``[n]`` citations in the answer that name a retrieved chunk."""

    name = "citation_validity"
    group = "rag"

    class Params(_P):
        require_citations: bool = Field(default=True, description="an answer without [n] scores 0")

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        if not output.is_rag:
            return MetricResult.na("not a RAG target")
        cited = [int(n) for group in _CITE.findall(output.text) for n in re.split(r"\s*[,;]\s*", group)]
        if not cited:
            if self.params.require_citations and output.retrieved:
                return MetricResult.score(0.0, "no citations")
            return MetricResult.na("no citations")
        valid_numbers = {c.number for c in output.retrieved}
        valid = sum(1 for n in cited if n in valid_numbers)
        return MetricResult.score(valid / len(cited), f"{valid}/{len(cited)} citations point at retrieved chunks")


def same_document(retrieved: str, expected: str) -> bool:
    """Paths match when one ends with the other on a path-component boundary (``a/b.md`` ~ ``x/a/b.md``)."""
    r = retrieved.replace("\\", "/").strip("/").removeprefix("./").lower()
    e = expected.replace("\\", "/").strip("/").removeprefix("./").lower()
    if not r or not e:
        return False
    return r == e or r.endswith("/" + e) or e.endswith("/" + r)


class DocRecall(Metric):
    """Recall@k of the item's ``expected_docs`` among the first k distinct retrieved documents."""

    name = "doc_recall"
    group = "rag"

    class Params(_P):
        k: int = Field(default=5, gt=0)

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        if not output.is_rag:
            return MetricResult.na("not a RAG target")
        if not item.expected_docs:
            return MetricResult.na("item has no expected_docs")
        docs: list[str] = []
        for chunk in output.retrieved:
            if chunk.path not in docs:
                docs.append(chunk.path)
        top = docs[:self.params.k]
        found = sum(1 for e in item.expected_docs if any(same_document(d, e) for d in top))
        return MetricResult.score(found / len(item.expected_docs),
                                  f"{found}/{len(item.expected_docs)} expected docs in top {self.params.k}")
