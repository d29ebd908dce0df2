"""n > 1 and logprobs are routing needs: the policy drops candidates that cannot return them, the
fallback caller moves past one that refuses, and a sensitive request that no self-hosted model can
serve this way is refused for that reason, not for privacy."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shoal import errors
from shoal.models.base import ChatModel
from shoal.models.testing import OneChoiceScriptedModel
from shoal.models.types import ChatRequest
from shoal.principal import Principal
from shoal.privacy.types import NOT_SENSITIVE, Sensitivity, Span
from shoal.routing.caller import FallbackCaller
from shoal.routing.needs import needs_of, shortfall
from shoal.routing.policy import PolicyEngine
from shoal.routing.types import Decision
from tests.routing.conftest import make_catalog, routing_of, scripted

SENSITIVE = Sensitivity("confidential", ("pii:EMAIL_ADDRESS",), (Span(12, 19, "EMAIL_ADDRESS", "a@b.com"),))
NOBODY = Principal()
LOGPROBS = replace(ChatRequest.of("write to a@b.com"), logprobs=True)
TWO = replace(ChatRequest.of("write to a@b.com"), n=2)


def one_choice(answer: str = "ok", **kw: bool) -> OneChoiceScriptedModel:
    return OneChoiceScriptedModel(None, [answer], **kw)


def engine(models: dict[str, tuple[str, ChatModel]], routing: dict[str, object] | None = None,
           default: str = "cheap") -> PolicyEngine:
    catalog = make_catalog(models, routing, default_model=default)
    return PolicyEngine(routing_of(catalog), catalog)


def test_needs_name_what_the_answer_must_carry() -> None:
    needs = needs_of(replace(LOGPROBS, n=3))
    assert needs.returns == {"n", "logprobs"} and "n=3" in needs.describe() and "logprobs" in needs.describe()
    assert needs_of(ChatRequest.of("hi")).returns == frozenset()
    spec = one_choice().spec
    assert shortfall(spec, needs, declared=False, returns=frozenset()) == ["no logprobs support", "no n > 1 support"]
    assert shortfall(spec, needs, declared=False, returns=None) == []  # unknown: not ruled out


def test_auto_skips_candidates_that_cannot_return_logprobs_or_n() -> None:
    models: dict[str, tuple[str, ChatModel]] = {
        "cheap": ("external", one_choice()), "mid": ("external", scripted()),
        "rich": ("external", scripted(logprobs=True)), "local": ("self_hosted", one_choice())}
    e = engine(models, {"fallbacks": {"cheap": ["mid", "rich"]}})
    d = e.route(LOGPROBS, NOT_SENSITIVE, requested="auto", principal=NOBODY)
    assert d.candidates == ("rich",)
    assert "capability:cheap→rich(no logprobs support)" in d.reasons
    d = e.route(TWO, NOT_SENSITIVE, requested="auto", principal=NOBODY)
    assert d.candidates == ("mid", "rich")
    # Nothing asked of the answer: the chain is untouched.
    d = e.route(ChatRequest.of("hi"), NOT_SENSITIVE, requested="auto", principal=NOBODY)
    assert d.candidates == ("cheap", "mid", "rich")


def test_a_pin_that_cannot_return_them_is_refused_naming_who_can() -> None:
    e = engine({"cheap": ("external", one_choice()), "rich": ("external", scripted(logprobs=True)),
                "local": ("self_hosted", one_choice())})
    with pytest.raises(errors.UnsupportedRequestError) as exc:
        e.route(LOGPROBS, NOT_SENSITIVE, requested="cheap", principal=NOBODY)
    # All it lacks is logprobs: the model's own words, which start with the parameter.
    assert exc.value.message.startswith("logprobs:") and "'cheap'" in exc.value.message
    assert exc.value.hint == "models that can: rich"


def test_no_candidate_can_is_a_refusal_naming_each() -> None:
    e = engine({"cheap": ("external", one_choice()), "local": ("self_hosted", one_choice())})
    with pytest.raises(errors.UnsupportedRequestError) as exc:
        e.route(TWO, NOT_SENSITIVE, requested="auto", principal=NOBODY)
    assert "cheap: no n > 1 support" in exc.value.message and "local: no n > 1 support" in exc.value.message


def test_sensitive_with_no_self_hosted_model_that_can_gives_the_real_reason() -> None:
    e = engine({"cheap": ("external", scripted(logprobs=True)), "local": ("self_hosted", one_choice()),
                "vault": ("self_hosted", one_choice())})
    with pytest.raises(errors.UnsupportedRequestError) as exc:
        e.route(LOGPROBS, SENSITIVE, requested="auto", principal=NOBODY)
    assert not isinstance(exc.value, errors.PolicyRefusedError)
    assert "local: no logprobs support" in exc.value.message and "vault: no logprobs support" in exc.value.message
    assert "cheap" not in exc.value.message  # an external model was never a candidate
    able = engine({"cheap": ("external", scripted(logprobs=True)), "local": ("self_hosted", one_choice()),
                   "vault": ("self_hosted", scripted(logprobs=True))})
    assert able.route(LOGPROBS, SENSITIVE, requested="auto", principal=NOBODY).candidates == ("vault",)


async def test_the_caller_moves_past_a_candidate_that_refuses() -> None:
    # A decision made elsewhere (or before a model changed) may still list one: it is skipped
    # without a call or a breaker verdict, and the next candidate serves.
    cheap, rich = one_choice("cheap"), scripted(["rich"], logprobs=True)
    catalog = make_catalog({"cheap": ("external", cheap), "rich": ("external", rich)})
    caller = FallbackCaller(catalog, routing_of(catalog))
    done, record = await caller.complete_recorded(Decision("cheap", ("rich",)), LOGPROBS)
    assert done.text == "rich" and record.served == "rich" and done.logprobs is not None
    assert [(a.model, a.outcome) for a in record.attempts] == [("cheap", "refused"), ("rich", "ok")]
    assert cheap.requests == [] and caller.breakers.state("cheap") == "closed"
    chunks = [c async for c in caller.stream(Decision("cheap", ("rich",)), LOGPROBS)]
    assert "".join(c.delta for c in chunks) == "rich" and any(c.logprobs for c in chunks)


@pytest.mark.parametrize("sensitivity", [NOT_SENSITIVE, SENSITIVE], ids=["plain", "sensitive"])
async def test_when_every_candidate_refuses_the_caller_says_why(sensitivity: Sensitivity) -> None:
    catalog = make_catalog({"a": ("self_hosted", one_choice()), "b": ("self_hosted", one_choice())})
    caller = FallbackCaller(catalog, routing_of(catalog))
    with pytest.raises(errors.UnsupportedRequestError) as exc:
        await caller.complete(Decision("a", ("b",), sensitivity=sensitivity), TWO)
    assert not isinstance(exc.value, errors.PolicyRefusedError)
    assert exc.value.message.count("n: more than one choice") == 2
    with pytest.raises(errors.UnsupportedRequestError, match="logprobs"):
        await caller.complete(Decision("a", sensitivity=sensitivity), LOGPROBS)
