"""The policy engine: one place that decides which model serves a request, and says why.

Order (first that applies wins, privacy always constrains the rest, and what the request needs
constrains every choice — see step 5):

1. privacy — a sensitive request may only be served by ``self_hosted`` models: the chosen model and
   the whole fallback chain are filtered; with no allowed model the request is refused
   (``PolicyRefusedError``), never sent out;
2. explicit pins (the requested model name), then per-team / per-segment pins and rules;
3. the learned router, when no model (or ``auto``) was requested;
4. fallbacks from config (filtered by 1);
5. capabilities and context: candidates that lack what the request needs (tools, vision, json, a
   context window large enough, several choices or log probabilities — ``shoal.routing.needs``)
   are dropped; when the chosen model is one of them, the cheapest allowed model that can serve it
   takes its place. A pinned model that cannot serve it, or no allowed model that can, is refused
   with ``UnsupportedRequestError`` (a 400 naming what is missing and what each candidate lacks).
   Nothing is sent.

Routing is pure and fast: model localities are looked up once and cached, the learned router is
loaded at construction, and the optional ``health`` view (circuit breakers) is an in-memory check.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from shoal.catalog import Catalog
from shoal.errors import ConfigError, PolicyRefusedError, ShoalError, UnsupportedRequestError
from shoal.models.types import ChatRequest, ModelSpec
from shoal.principal import Principal
from shoal.privacy.types import Sensitivity
from shoal.routing.config import RoutingConfig, Rule
from shoal.routing.learned import LearnedRouter
from shoal.routing.needs import Needs, needs_of, returns_shortfall, shortfall
from shoal.routing.types import Decision

AUTO = "auto"


class PolicyEngine:
    """Implements ``shoal.pipeline.Policy``."""

    def __init__(self, config: RoutingConfig, catalog: Catalog, router: LearnedRouter | None = None, *,
                 health: Callable[[str], bool] | None = None) -> None:
        self.config = config
        self.catalog = catalog
        self.health = health
        self._locality: dict[str, str] = {}
        self._declared: dict[str, bool] = {}
        self._returns: dict[str, frozenset[str]] = {}
        self._specs: dict[str, ModelSpec] = {}
        self._windows: dict[str, float] = {}
        self._rules: list[tuple[Rule, re.Pattern[str] | None]] = [
            (r, re.compile(r.prompt_regex) if r.prompt_regex else None) for r in config.rules]
        self.default_model = config.default_model or catalog.default_model
        self.router = router
        self.router_models: list[str] = []
        if config.router is not None:
            self.router_models = list(config.router.models)
            if self.router is None:
                self.router = LearnedRouter.load(catalog.paths.resolve(config.router.file))
            if config.router.target is not None:
                self.router = self.router.with_target(config.router.target)
            if len(self.router.models) != len(self.router_models):
                raise ConfigError(
                    f"the router file has {len(self.router.models)} models "
                    f"({', '.join(self.router.models)}) but routing.router.models lists "
                    f"{len(self.router_models)}", file=catalog.paths.source, key="routing.router.models",
                    hint="list one catalog model per router model, cheapest first")
        elif self.router is not None:
            self.router_models = list(self.router.models)
        self._privacy_models = self._resolve_privacy_models()

    # --- model facts -----------------------------------------------------------------------------

    def locality(self, name: str) -> str:
        """Locality of a model (cached; unknown names raise ``UnknownModelError``)."""
        loc = self._locality.get(name)
        if loc is None:
            loc = self.catalog.spec(name, resolve_secret=False).locality
            self._locality[name] = loc
        return loc

    def _resolve_privacy_models(self) -> list[str]:
        configured = self.config.privacy.models
        if configured:
            for name in configured:
                if self.locality(name) != "self_hosted":
                    raise ConfigError(f"{name!r} is not a self_hosted model, so it may not serve sensitive "
                                      "requests", file=self.catalog.paths.source, key="routing.privacy.models",
                                      hint=f"set locality: self_hosted on models.{name} if it really runs "
                                           "on your own infrastructure, or remove it from the list")
            return list(configured)
        out: list[str] = []
        for name in self.catalog.configured_names():
            try:
                spec = self.catalog.spec(name, resolve_secret=False)
            except ShoalError:  # a broken entry cannot serve anything; `shoal models` reports it
                continue
            if spec.kind == "chat" and spec.locality == "self_hosted":
                self._locality[name] = spec.locality
                out.append(name)
        return out

    @property
    def privacy_models(self) -> list[str]:
        return list(self._privacy_models)

    # --- the decision ----------------------------------------------------------------------------

    def route(self, request: ChatRequest, sensitivity: Sensitivity, *, requested: str | None,
              principal: Principal) -> Decision:
        reasons: list[str] = list(sensitivity.reasons)
        explicit = requested if requested and requested != AUTO else None
        sensitive = sensitivity.is_sensitive

        # (1) privacy: what may serve this request at all.
        allowed: list[str] | None = None
        if sensitive:
            reasons.append("privacy:self_hosted-only")
            allowed = self._healthy(self._privacy_models)
            if not allowed:
                down = [m for m in self._privacy_models if m not in allowed]
                why = (f"self-hosted models unavailable: {', '.join(down)}" if down
                       else "no self-hosted model is configured")
                raise PolicyRefusedError(
                    f"refused: the request is sensitive and {why}; it was not sent to any external model",
                    reasons=[*reasons, "privacy:refused(no-self-hosted-model)"],
                    hint="add a self_hosted model (e.g. the embedded `local`) to routing.privacy.models, "
                         "or retry when it is back")
            if (explicit is not None and self.locality(explicit) != "self_hosted"
                    and self.config.privacy.on_external_pin == "refuse"):
                raise PolicyRefusedError(
                    f"refused: the request is sensitive and {explicit!r} is an external model",
                    reasons=[*reasons, f"privacy:refused-pin({explicit})"],
                    hint="ask for a self_hosted model, or leave the model to the router (`auto`)")

        # (2) pins and rules, (3) the learned router, else the default.
        model, route_tag, why_model = self._choose(request, explicit, principal)
        reasons.extend(why_model)

        # (4) fallbacks, then the privacy filter over the whole chain.
        chain = _dedupe([model, *self.config.fallbacks.get(model, [])])
        if allowed is not None:
            kept = [m for m in chain if m in allowed]
            if model not in allowed:
                reasons.append(f"privacy:repinned({model}→{(kept or allowed)[0]})")
            dropped = [m for m in chain[1:] if m not in allowed]
            if dropped:
                reasons.append(f"privacy:dropped-fallbacks({','.join(dropped)})")
            # Any other allowed model is a better last resort than refusing.
            chain = _dedupe([*kept, *allowed])
            route_tag = "privacy"
        # (5) what the request needs: capabilities and context length.
        chain = self._fit(request, chain, allowed, explicit, reasons)
        if len(chain) > 1:
            reasons.append(f"fallback:{'→'.join(chain[1:])}")
        return Decision(model=chain[0], fallbacks=tuple(chain[1:]), reasons=tuple(reasons),
                        sensitivity=sensitivity, route=route_tag)

    def _lacks(self, name: str, needs: Needs) -> list[str]:
        declared = self._declared.get(name)
        if declared is None:
            declared = self._declared[name] = self.catalog.capabilities_declared(name)
        returns = self._can_return(name) if needs.returns else None
        return shortfall(self._spec(name), needs, declared=declared, returns=returns)

    def _can_return(self, name: str) -> frozenset[str] | None:
        """What ``name`` can return beyond one answer (n > 1, logprobs): a fact of its adapter, so it
        is asked once (building the instance the caller will use; building loads no weights)."""
        can = self._returns.get(name)
        if can is None:
            try:
                can = self._returns[name] = self.catalog.chat_model(name).can_return()
            except ShoalError:  # not buildable now (e.g. its key is unset): not ruled out, its call says why
                return None
        return can

    def _window(self, name: str) -> float:
        window = self._windows.get(name)
        if window is None:
            size = self._spec(name).context_window
            window = self._windows[name] = float("inf") if size is None else float(size)
        return window

    def _spec(self, name: str) -> ModelSpec:
        spec = self._specs.get(name)
        if spec is None:  # specs are built once: routing stays a few dict lookups per request
            spec = self._specs[name] = self.catalog.spec(name, resolve_secret=False)
        return spec

    def _fit(self, request: ChatRequest, chain: list[str], allowed: list[str] | None, explicit: str | None,
             reasons: list[str]) -> list[str]:
        """Drop candidates that cannot serve the request; replace the first choice when it cannot."""
        needs = needs_of(request)
        if not needs.capabilities and not needs.returns:
            tokens = needs.tokens
            for name in chain:
                if tokens > self._window(name):
                    break
            else:
                return chain  # the common case, in a few dict lookups
        lacking = {name: self._lacks(name, needs) for name in chain}
        kept = [n for n in chain if not lacking[n]]
        if explicit is not None and explicit == chain[0] and lacking[explicit]:
            raise UnsupportedRequestError(
                self._pinned_refusal(explicit, request, needs, lacking[explicit]),
                reasons=[*reasons, f"unsupported:{explicit}({', '.join(lacking[explicit])})"],
                hint=self._who_can(needs, allowed) or "shorten the request, or configure a model that can serve it")
        if kept and kept[0] == chain[0]:
            dropped = [n for n in chain if lacking[n]]
            if dropped:
                reasons.append(f"capability:dropped({','.join(dropped)})")
            return kept
        pool = allowed if allowed is not None else self._chat_models()
        extra = sorted((n for n in pool if n not in lacking and not self._lacks(n, needs)), key=self._price)
        fitting = _dedupe([*kept, *extra])
        if not fitting:
            tried = {**lacking, **{n: self._lacks(n, needs) for n in pool if n not in lacking}}
            why = "; ".join(f"{n}: {', '.join(w)}" for n, w in tried.items() if w)
            scope = "no self-hosted model (the request is sensitive)" if allowed is not None else "no configured model"
            raise UnsupportedRequestError(
                f"{scope} can serve this request ({needs.describe()}): {why}",
                reasons=[*reasons, "unsupported:no-capable-model"],
                hint="shorten the request, drop what a model lacks (tools, images, json, n, logprobs), or "
                     "configure a model that has it (capabilities: and context_window: under models:)")
        reasons.append(f"capability:{chain[0]}→{fitting[0]}({'; '.join(lacking[chain[0]])})")
        return fitting

    def _pinned_refusal(self, name: str, request: ChatRequest, needs: Needs, lacks: list[str]) -> str:
        """Why a pinned model cannot serve the request. When all it lacks is n > 1 or logprobs, in the
        model's own words (they start with the parameter, as when the model itself refuses)."""
        if set(lacks) <= set(returns_shortfall(needs, frozenset())):
            try:
                self.catalog.chat_model(name).check_request(request)
            except UnsupportedRequestError as exc:
                return exc.message
        return f"{name!r} cannot serve this request: {'; '.join(lacks)}"

    def _who_can(self, needs: Needs, allowed: list[str] | None) -> str | None:
        pool = allowed if allowed is not None else self._chat_models()
        able = [n for n in pool if not self._lacks(n, needs)]
        return f"models that can: {', '.join(able)}" if able else None

    def _chat_models(self) -> list[str]:
        out: list[str] = []
        for name in self.catalog.configured_names():
            try:
                spec = self.catalog.spec(name, resolve_secret=False)
            except ShoalError:
                continue
            if spec.kind == "chat":
                out.append(name)
        return self._healthy(out)

    def _price(self, name: str) -> float:
        p = self._spec(name).pricing
        return p.input_per_mtok + p.output_per_mtok

    def _healthy(self, names: list[str]) -> list[str]:
        if self.health is None:
            return list(names)
        return [n for n in names if self.health(n)]

    def _choose(self, request: ChatRequest, explicit: str | None,
                principal: Principal) -> tuple[str, str, list[str]]:
        if explicit is not None:
            self.locality(explicit)  # unknown model → clear error now, not at call time
            return explicit, "pinned", [f"pin:{explicit}"]
        if principal.team and principal.team in self.config.teams:
            target = self.config.teams[principal.team]
            return target, "team", [f"team:{principal.team}→{target}"]
        if principal.segment and principal.segment in self.config.segments:
            target = self.config.segments[principal.segment]
            return target, "team", [f"segment:{principal.segment}→{target}"]
        if self._rules:
            text: str | None = None
            for i, (rule, pattern) in enumerate(self._rules):
                if pattern is not None and text is None:
                    text = request.prompt_text
                if _matches(rule, pattern, principal, text):
                    return rule.model, "team", [f"rule:{rule.label(i)}→{rule.model}"]
        if self.router is not None:
            choice = self.router.choose(request.prompt_text)
            name = self.router_models[choice.index]
            return name, "router", [choice.reason(name)]
        return self.default_model, "default", [f"default:{self.default_model}"]


def _matches(rule: Rule, pattern: re.Pattern[str] | None, principal: Principal, text: str | None) -> bool:
    if rule.team is not None and principal.team != rule.team:
        return False
    if rule.segment is not None and principal.segment != rule.segment:
        return False
    if rule.user is not None and principal.user != rule.user:
        return False
    if rule.group is not None and rule.group not in principal.groups:
        return False
    return pattern is None or (text is not None and pattern.search(text) is not None)


def _dedupe(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for n in names:
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out
