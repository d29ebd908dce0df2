"""The policy engine: order of stages, privacy filtering of the whole chain, refusals, reasons."""

from __future__ import annotations

import pytest

from shoal.errors import ConfigError, PolicyRefusedError, UnknownModelError
from shoal.models.types import ChatRequest
from shoal.principal import Principal
from shoal.privacy.types import NOT_SENSITIVE, Sensitivity, Span
from shoal.routing.config import RoutingConfig
from shoal.routing.policy import PolicyEngine
from tests.routing.conftest import make_catalog, routing_of, scripted

SENSITIVE = Sensitivity("confidential", ("pii:EMAIL_ADDRESS",), (Span(12, 19, "EMAIL_ADDRESS", "a@b.com"),))
REQ = ChatRequest.of("write to a@b.com")
NOBODY = Principal()

MODELS = {"local": ("self_hosted", scripted()), "onprem": ("self_hosted", scripted()),
          "mini": ("external", scripted()), "big": ("external", scripted())}


def engine(routing: dict[str, object] | None = None, **kw: object) -> PolicyEngine:
    catalog = make_catalog(MODELS, routing, default_model="mini")
    return PolicyEngine(routing_of(catalog), catalog, **kw)  # type: ignore[arg-type]


def test_default_model_when_nothing_else_applies() -> None:
    d = engine({"fallbacks": {"mini": ["big", "local"]}}).route(REQ, NOT_SENSITIVE, requested=None, principal=NOBODY)
    assert (d.model, d.fallbacks, d.route) == ("mini", ("big", "local"), "default")
    assert d.reasons == ("default:mini", "fallback:big→local")


def test_routing_default_overrides_top_level_default() -> None:
    d = engine({"default_model": "big"}).route(REQ, NOT_SENSITIVE, requested="auto", principal=NOBODY)
    assert d.model == "big"


def test_explicit_pin_beats_team_rule() -> None:
    e = engine({"teams": {"finance": "local"}})
    d = e.route(REQ, NOT_SENSITIVE, requested="big", principal=Principal(team="finance"))
    assert (d.model, d.route, d.reasons) == ("big", "pinned", ("pin:big",))
    d = e.route(REQ, NOT_SENSITIVE, requested=None, principal=Principal(team="finance"))
    assert (d.model, d.route, d.reasons) == ("local", "team", ("team:finance→local",))


def test_segment_and_rules_in_order() -> None:
    e = engine({"segments": {"free": "local"},
                "rules": [{"group": "legal", "model": "onprem"},
                          {"prompt_regex": "(?i)\\bsql\\b", "model": "big", "name": "sql"}]})
    assert e.route(REQ, NOT_SENSITIVE, requested=None, principal=Principal(segment="free")).model == "local"
    d = e.route(REQ, NOT_SENSITIVE, requested=None, principal=Principal.of(groups="legal,eng"))
    assert (d.model, d.reasons) == ("onprem", ("rule:rule0(group=legal)→onprem",))
    d = e.route(ChatRequest.of("optimise this SQL query"), NOT_SENSITIVE, requested=None, principal=NOBODY)
    assert (d.model, d.reasons) == ("big", ("rule:sql→big",))


def test_sensitive_request_is_repinned_and_fallbacks_filtered() -> None:
    e = engine({"fallbacks": {"mini": ["big", "onprem"]}})
    d = e.route(REQ, SENSITIVE, requested=None, principal=NOBODY)
    assert d.route == "privacy"
    assert d.model in {"local", "onprem"}
    assert set(d.candidates) == {"local", "onprem"}  # every self-hosted model, no external one
    assert d.model == "onprem"  # the self-hosted model already in the chain comes first
    assert d.reasons[:2] == ("pii:EMAIL_ADDRESS", "privacy:self_hosted-only")
    assert "privacy:repinned(mini→onprem)" in d.reasons
    assert "privacy:dropped-fallbacks(big)" in d.reasons
    assert d.sensitivity is SENSITIVE


def test_privacy_models_order_and_validation() -> None:
    d = engine({"privacy": {"models": ["onprem"]}}).route(REQ, SENSITIVE, requested=None, principal=NOBODY)
    assert d.candidates == ("onprem",)
    with pytest.raises(ConfigError, match="not a self_hosted model"):
        engine({"privacy": {"models": ["big"]}})


def test_explicit_external_pin_for_sensitive_request_repins_or_refuses() -> None:
    d = engine().route(REQ, SENSITIVE, requested="big", principal=NOBODY)
    assert d.model == "local" and "privacy:repinned(big→local)" in d.reasons and "pin:big" in d.reasons
    with pytest.raises(PolicyRefusedError) as exc:
        engine({"privacy": {"on_external_pin": "refuse"}}).route(REQ, SENSITIVE, requested="big", principal=NOBODY)
    assert "privacy:refused-pin(big)" in exc.value.reasons
    assert "pii:EMAIL_ADDRESS" in exc.value.reasons


def test_self_hosted_pin_for_sensitive_request_is_kept() -> None:
    d = engine().route(REQ, SENSITIVE, requested="onprem", principal=NOBODY)
    assert d.model == "onprem" and "privacy:repinned" not in " ".join(d.reasons)


def test_refused_when_no_self_hosted_model_is_up() -> None:
    down = {"local", "onprem"}
    e = engine(health=lambda name: name not in down)
    with pytest.raises(PolicyRefusedError, match="not sent to any external model") as exc:
        e.route(REQ, SENSITIVE, requested=None, principal=NOBODY)
    assert "privacy:refused(no-self-hosted-model)" in exc.value.reasons
    # the same engine still serves non-sensitive requests
    assert e.route(REQ, NOT_SENSITIVE, requested=None, principal=NOBODY).model == "mini"
    down.discard("onprem")
    assert e.route(REQ, SENSITIVE, requested=None, principal=NOBODY).candidates == ("onprem",)


def test_refused_when_no_self_hosted_model_is_configured() -> None:
    catalog = make_catalog({"local": ("external", scripted()), "big": ("external", scripted())},
                           default_model="big")
    e = PolicyEngine(RoutingConfig(), catalog)
    with pytest.raises(PolicyRefusedError, match="no self-hosted model is configured"):
        e.route(REQ, SENSITIVE, requested=None, principal=NOBODY)


def test_internal_level_is_not_sensitive() -> None:
    d = engine().route(REQ, Sensitivity("internal", ("doc-label:internal(a.md)",)), requested=None,
                       principal=NOBODY)
    assert d.model == "mini" and d.reasons[0] == "doc-label:internal(a.md)"


def test_unknown_requested_model_is_a_clear_error() -> None:
    with pytest.raises(UnknownModelError, match="no model named 'nope'"):
        engine().route(REQ, NOT_SENSITIVE, requested="nope", principal=NOBODY)


def test_rule_needs_a_condition() -> None:
    with pytest.raises(ValueError, match="at least one of"):
        RoutingConfig.model_validate({"rules": [{"model": "big"}]})
