"""No code path sends a sensitive request to an external model.

Every external double's ``.requests`` must stay empty, whatever happens to the self-hosted models:
errors of every kind, retries, open circuits, timeouts, streaming (before and after the first chunk),
explicit pins, and decisions that a buggy policy might hand over with an external model in the chain.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from shoal import errors
from shoal.models.testing import ScriptedChatModel
from shoal.models.types import ChatRequest
from shoal.pipeline import Pipeline
from shoal.principal import Principal
from shoal.privacy.types import DocLabel, Sensitivity, Span
from shoal.routing.caller import FallbackCaller
from shoal.routing.policy import PolicyEngine
from shoal.routing.types import Decision
from tests.routing.conftest import make_catalog, routing_of, scripted
from tests.routing.test_caller import Clock, MidStreamFailure, Sleeps

SENSITIVE = Sensitivity("confidential", ("pii:PERSON", "topic:compensation"),
                        (Span(8, 21, "PERSON", "Dana Whitfield"),))
REQ = ChatRequest.of("What is Dana Whitfield's bonus this year?")

ERRORS = [
    errors.UnavailableError("down", provider="t"),
    errors.ProviderConnectionError("refused", provider="t"),
    errors.ProviderTimeoutError("slow", provider="t"),
    errors.RateLimitError("429", provider="t", retry_after=1.0),
    errors.MalformedResponseError("garbage", provider="t"),
    errors.ContextLengthError("too long", provider="t"),
    errors.BadRequestError("bad", provider="t"),
    errors.AuthenticationError("key", provider="t"),
    errors.ModelNotFoundError("gone", provider="t"),
    errors.ContentBlockedError("blocked", provider="t"),
]


class SensitiveScanner:
    def scan(self, text: str, doc_labels: Sequence[DocLabel] = ()) -> Sensitivity:
        return SENSITIVE


def setup(local: ScriptedChatModel | MidStreamFailure, routing: dict[str, object] | None = None
          ) -> tuple[Pipeline, ScriptedChatModel, ScriptedChatModel, FallbackCaller]:
    ext1, ext2 = ScriptedChatModel(None, ["external answer"]), ScriptedChatModel(None, ["external answer"])
    routing = {"fallbacks": {"gpt": ["claude", "local"], "local": ["gpt", "claude"]},
               "retries": {"max_attempts": 3}, **(routing or {})}
    catalog = make_catalog({"local": ("self_hosted", local), "gpt": ("external", ext1),
                            "claude": ("external", ext2)}, routing, default_model="gpt")
    caller = FallbackCaller(catalog, routing_of(catalog), clock=Clock(), sleep=Sleeps())
    policy = PolicyEngine(routing_of(catalog), catalog, health=caller.breakers.is_available)
    return Pipeline(policy=policy, caller=caller, scanner=SensitiveScanner()), ext1, ext2, caller


@pytest.mark.parametrize("requested", [None, "auto", "gpt", "local"])
async def test_sensitive_request_served_locally(requested: str | None) -> None:
    pipe, ext1, ext2, _ = setup(scripted(["local answer"]))
    prepared = pipe.prepare(REQ, requested=requested, principal=Principal(team="x"))
    assert prepared.decision.candidates == ("local",)
    assert (await pipe.complete(prepared)).text == "local answer"
    assert "".join([c.delta async for c in pipe.stream(prepared)]) == "local answer"
    assert ext1.requests == [] and ext2.requests == []


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("streaming", [False, True])
async def test_self_hosted_failures_never_reach_external(error: Exception, streaming: bool) -> None:
    local = scripted([error])
    pipe, ext1, ext2, _ = setup(local)
    prepared = pipe.prepare(REQ)
    # The privacy refusal is for when privacy is the reason; a request the self-hosted model rejects
    # as such (too long, unsupported, blocked) gets that error — still never sent elsewhere.
    the_request_is_the_problem = isinstance(
        error, (errors.ContextLengthError, errors.BadRequestError, errors.ContentBlockedError))
    expected = type(error) if the_request_is_the_problem else errors.PolicyRefusedError
    with pytest.raises(expected) as exc:
        if streaming:
            async for _ in pipe.stream(prepared):
                pass
        else:
            await pipe.complete(prepared)
    if not the_request_is_the_problem:
        assert isinstance(exc.value, errors.PolicyRefusedError)
        assert "not sent to any external model" in str(exc.value)
        assert "privacy:refused(self-hosted-unavailable)" in exc.value.reasons
        assert "local (attempt 1): " in str(exc.value) and "provider" not in str(exc.value)
    assert len(local.requests) >= 1
    assert ext1.requests == [] and ext2.requests == []


async def test_open_circuit_refuses_at_routing_time() -> None:
    local = scripted([errors.UnavailableError("down", provider="t")])
    pipe, ext1, ext2, caller = setup(local, {"circuit_breaker": {"failure_threshold": 1, "cooldown_s": 60}})
    with pytest.raises(errors.PolicyRefusedError):
        await pipe.complete(pipe.prepare(REQ))
    assert caller.breakers.state("local") == "open"
    with pytest.raises(errors.PolicyRefusedError, match="self-hosted models unavailable: local"):
        pipe.prepare(REQ)  # refused before any call
    # a non-sensitive request still works through the external models meanwhile
    caller_only = await caller.complete(Decision("gpt"), ChatRequest.of("haiku about spring"))
    assert caller_only.text == "external answer"
    assert all("Dana" not in r.prompt_text for r in ext1.requests + ext2.requests)


async def test_mid_stream_failure_of_local_is_not_retried_elsewhere() -> None:
    local = MidStreamFailure(["partial"])
    pipe, ext1, ext2, _ = setup(local)
    with pytest.raises(errors.ProviderConnectionError):
        async for _ in pipe.stream(pipe.prepare(REQ)):
            pass
    assert ext1.requests == [] and ext2.requests == []


@pytest.mark.parametrize("decision", [
    Decision("gpt", ("local",), sensitivity=SENSITIVE),
    Decision("local", ("claude",), sensitivity=SENSITIVE),
    Decision("local", ("local", "gpt"), sensitivity=SENSITIVE, route="privacy"),
], ids=["external-first", "external-fallback", "external-last"])
@pytest.mark.parametrize("streaming", [False, True])
async def test_caller_refuses_inconsistent_decisions_before_calling(decision: Decision, streaming: bool) -> None:
    local = scripted([errors.UnavailableError("down", provider="t")])
    _, ext1, ext2, caller = setup(local)
    with pytest.raises(errors.PolicyRefusedError, match="nothing was sent"):
        if streaming:
            async for _ in caller.stream(decision, REQ):
                pass
        else:
            await caller.complete(decision, REQ)
    assert local.requests == [] and ext1.requests == [] and ext2.requests == []


async def test_redact_mode_never_applies_to_sensitive_requests() -> None:
    local = scripted([errors.UnavailableError("down", provider="t")])
    pipe, ext1, ext2, _ = setup(local, {"redact": ["privacy", "default", "router", "pinned", "gpt", "claude"]})
    with pytest.raises(errors.PolicyRefusedError):
        await pipe.complete(pipe.prepare(REQ, requested="gpt"))
    assert ext1.requests == [] and ext2.requests == []
