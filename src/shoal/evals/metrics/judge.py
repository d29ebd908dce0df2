"""LLM-as-judge with a rubric. The judge's reply is parsed strictly: a JSON object with an integer
``score`` on the configured scale. Anything else is *undetermined* — recorded with the raw reply,
counted in reports, never dropped and never coerced into a number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shoal.errors import ProviderError
from shoal.evals.dataset import EvalItem
from shoal.evals.metrics.base import Metric, MetricContext, MetricResult, SampleOutput
from shoal.evals.metrics.text import strip_fence
from shoal.models.types import ChatRequest, Message

DEFAULT_RUBRIC = ("Score how correct and complete the answer is for the question. "
                  "{max}: fully correct and consistent with the reference; {min}: wrong, off-topic or empty. "
                  "Judge facts, not style or length.")

_SYSTEM = ("You are a strict, impartial grader. You reply with one JSON object and nothing else: "
           '{{"score": <integer from {min} to {max}>, "reason": "<one short sentence>"}}')


@dataclass(frozen=True, slots=True)
class Judgement:
    score: int | None
    reason: str
    problem: str = ""  # why it is undetermined


def parse_judgement(raw: str, lo: int, hi: int) -> Judgement:
    """Strict parse: exactly one JSON object (a single ``` fence allowed) with an integer score in range."""
    body = strip_fence(raw)
    if not body:
        return Judgement(None, "", "empty reply")
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        return Judgement(None, "", f"not a JSON object ({exc.msg})")
    if not isinstance(doc, dict):
        return Judgement(None, "", f"JSON {type(doc).__name__}, not an object")
    if "score" not in doc:
        return Judgement(None, "", "no 'score' key")
    score = doc["score"]
    # bool is an int subclass; "4" and 4.5 are not integers on the scale either.
    if isinstance(score, bool) or not isinstance(score, (int, float)) or (
            isinstance(score, float) and not score.is_integer()):
        return Judgement(None, "", f"score {score!r} is not an integer")
    value = int(score)
    if not lo <= value <= hi:
        return Judgement(None, "", f"score {value} outside {lo}..{hi}")
    reason = doc.get("reason", "")
    return Judgement(value, reason if isinstance(reason, str) else json.dumps(reason))


class Judge(Metric):
    """An LLM grades the answer against the rubric (and the reference when there is one)."""

    name = "judge"
    description = "LLM judge with a rubric; unparseable judgements are undetermined"

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        model: str | None = Field(default=None, description="judge model; default spec judge_model / evals.judge_model")
        rubric: str = DEFAULT_RUBRIC
        scale_min: int = 1
        scale_max: int = 5
        max_tokens: int = Field(default=160, gt=0)
        include_reference: bool = True
        include_context: bool = Field(default=False, description="show RAG context to the judge")

        @model_validator(mode="after")
        def _scale(self) -> Judge.Params:
            if self.scale_max <= self.scale_min:
                raise ValueError("scale_max must be greater than scale_min")
            return self

    def build_request(self, item: EvalItem, output: SampleOutput) -> ChatRequest:
        p = self.params
        rubric = p.rubric.replace("{min}", str(p.scale_min)).replace("{max}", str(p.scale_max))
        parts = [f"Question:\n{item.prompt}"]
        if p.include_reference and item.reference:
            parts.append(f"Reference answer:\n{item.reference}")
        if p.include_context and output.context:
            parts.append(f"Retrieved context:\n{output.context[:6000]}")
        parts.append(f"Answer to grade:\n{output.text or '(empty)'}")
        parts.append(f"Rubric: {rubric}")
        parts.append(f'Reply with only {{"score": <integer {p.scale_min}-{p.scale_max}>, "reason": "..."}}.')
        system = _SYSTEM.format(min=p.scale_min, max=p.scale_max)
        return ChatRequest(messages=(Message.system(system), Message.user("\n\n".join(parts))),
                           temperature=0.0, max_tokens=p.max_tokens, json_mode=True)

    async def score(self, item: EvalItem, output: SampleOutput, ctx: MetricContext) -> MetricResult:
        model = self.params.model or ctx.default_judge_model
        request = self.build_request(item, output)
        try:
            completion = await ctx.judge(model, request)
        except ProviderError as exc:
            return MetricResult(None, "error", f"judge {model} failed: {exc}")
        if completion is None:
            return MetricResult(None, "skipped", "judge call skipped: budget cap reached")
        verdict = parse_judgement(completion.text, self.params.scale_min, self.params.scale_max)
        if verdict.score is None:
            raw = completion.text.strip().replace("\n", " ")
            return MetricResult.undetermined(f"{verdict.problem}; judge said: {raw[:200]!r}")
        span = self.params.scale_max - self.params.scale_min
        return MetricResult.score((verdict.score - self.params.scale_min) / span,
                                  f"{verdict.score}/{self.params.scale_max}: {verdict.reason[:200]}")

