"""Deterministic metrics: exact match, contains, regex, numeric, JSON schema, token F1, embeddings."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shoal.evals.dataset import EvalItem
from shoal.evals.metrics.base import Metric, MetricContext, MetricResult, SampleOutput
from shoal.evals.metrics.text import normalize, numbers, strip_fence, tokens


class _P(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _references(item: EvalItem, separator: str | None) -> list[str]:
    if item.reference is None or not item.reference.strip():
        return []
    if separator:
        return [r for r in (p.strip() for p in item.reference.split(separator)) if r]
    return [item.reference]


class ExactMatch(Metric):
    """1 when the normalised answer equals the normalised reference (or one of its alternatives)."""

    name = "exact_match"

    class Params(_P):
        normalize: bool = True
        alternatives_separator: str | None = Field(default=None, description="e.g. '|' for 'a|b' references")

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        refs = _references(item, self.params.alternatives_separator)
        if not refs:
            return MetricResult.na("no reference")
        norm = normalize if self.params.normalize else (lambda s: s.strip())
        got = norm(output.text)
        return MetricResult.score(1.0 if any(got == norm(r) for r in refs) else 0.0)


class Contains(Metric):
    """1 when the answer contains the reference (or ``values``: all of them, or any with mode=any)."""

    name = "contains"

    class Params(_P):
        values: list[str] | None = None
        mode: Literal["all", "any"] = "all"
        normalize: bool = True
        alternatives_separator: str | None = "|"

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        values = self.params.values or _references(item, self.params.alternatives_separator)
        if not values:
            return MetricResult.na("no reference and no values")
        norm = normalize if self.params.normalize else (lambda s: s)
        text = norm(output.text)
        # Pad so that a normalised "4" does not match inside "40".
        hits = [f" {norm(v)} " in f" {text} " for v in values if norm(v)]
        if not hits:
            return MetricResult.na("reference is empty after normalisation")
        mode = self.params.mode if self.params.values else "any"
        ok = all(hits) if mode == "all" else any(hits)
        return MetricResult.score(1.0 if ok else 0.0, f"{sum(hits)}/{len(hits)} found")


class Regex(Metric):
    """1 when ``pattern`` (or the item's ``metadata.regex``) matches somewhere in the answer."""

    name = "regex"

    class Params(_P):
        pattern: str | None = None
        ignore_case: bool = True
        full_match: bool = False

        @field_validator("pattern")
        @classmethod
        def _compiles(cls, value: str | None) -> str | None:
            if value is not None:
                try:
                    re.compile(value)
                except re.error as exc:
                    raise ValueError(f"invalid regular expression: {exc}") from None
            return value

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        pattern = self.params.pattern or item.metadata.get("regex")
        if not pattern:
            return MetricResult.na("no pattern (params.pattern or item metadata.regex)")
        flags = re.IGNORECASE if self.params.ignore_case else 0
        try:
            rx = re.compile(str(pattern), flags)
        except re.error as exc:
            return MetricResult(None, "error", f"item {item.id}: invalid regex: {exc}")
        m = rx.fullmatch(output.text.strip()) if self.params.full_match else rx.search(output.text)
        return MetricResult.score(1.0 if m else 0.0)


class Numeric(Metric):
    """1 when a number in the answer equals the reference's first number within tolerance."""

    name = "numeric"

    class Params(_P):
        tolerance: float = Field(default=1e-9, ge=0, description="absolute tolerance")
        rel_tolerance: float = Field(default=0.0, ge=0, description="relative tolerance, e.g. 0.01 = 1%")
        pick: Literal["any", "first", "last"] = Field(
            default="any", description="which number of the answer is compared")

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        ref_nums = numbers(item.reference or "")
        if not ref_nums:
            return MetricResult.na("reference has no number")
        got = numbers(output.text)
        if not got:
            return MetricResult.score(0.0, "no number in the answer")
        target = ref_nums[0]
        pool = got if self.params.pick == "any" else [got[0] if self.params.pick == "first" else got[-1]]
        ok = any(math.isclose(g, target, abs_tol=self.params.tolerance, rel_tol=self.params.rel_tolerance)
                 for g in pool)
        return MetricResult.score(1.0 if ok else 0.0, f"expected {target:g}")


class JsonSchema(Metric):
    """1 when the answer is JSON (optionally in one ``` fence) that validates against the schema."""

    name = "json_schema"

    class Params(_P):
        json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
        allow_fence: bool = True

        @field_validator("json_schema")
        @classmethod
        def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
            if value is not None:
                import jsonschema

                try:
                    jsonschema.validators.validator_for(value).check_schema(value)
                except jsonschema.SchemaError as exc:
                    raise ValueError(f"not a valid JSON schema: {exc.message}") from None
            return value

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        import jsonschema

        text = strip_fence(output.text) if self.params.allow_fence else output.text.strip()
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            return MetricResult.score(0.0, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        schema = item.schema or self.params.json_schema
        if schema is None:
            return MetricResult.score(1.0, "valid JSON (no schema given)")
        try:
            validator = jsonschema.validators.validator_for(schema)(schema)
        except jsonschema.SchemaError as exc:
            return MetricResult(None, "error", f"item {item.id}: invalid schema: {exc.message}")
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path) or "(root)"
            return MetricResult.score(0.0, f"{len(errors)} schema error(s); {where}: {first.message}")
        return MetricResult.score(1.0)


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style token F1 on normalised text; two empty texts agree (1.0)."""
    pred, ref = tokens(prediction), tokens(reference)
    if not pred and not ref:
        return 1.0
    if not pred or not ref:
        return 0.0
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


class TokenF1(Metric):
    """Token overlap F1 between answer and reference (best over alternatives)."""

    name = "token_f1"

    class Params(_P):
        alternatives_separator: str | None = None

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        refs = _references(item, self.params.alternatives_separator)
        if not refs:
            return MetricResult.na("no reference")
        return MetricResult.score(max(token_f1(output.text, r) for r in refs))


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


class EmbeddingSimilarity(Metric):
    """Cosine similarity of answer and reference embeddings (negative clipped to 0)."""

    name = "embedding_similarity"

    class Params(_P):
        model: str | None = Field(default=None, description="embedding model; default evals.embedding_model")
        threshold: float | None = Field(default=None, ge=-1, le=1, description="report 1/0 around it")
        alternatives_separator: str | None = None

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        refs = _references(item, self.params.alternatives_separator)
        if not refs:
            return MetricResult.na("no reference")
        if not output.text.strip():
            return MetricResult.score(0.0, "empty answer")
        model = self.params.model or ctx.default_embedding_model
        vecs = await ctx.embed(model, [output.text, *refs])
        sim = max(cosine(vecs[0], v) for v in vecs[1:])
        if self.params.threshold is not None:
            return MetricResult.score(1.0 if sim >= self.params.threshold else 0.0, f"cosine {sim:.3f}")
        return MetricResult.score(max(0.0, sim), f"cosine {sim:.3f}")
