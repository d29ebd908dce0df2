"""What a request needs from the model that serves it: capabilities and room in the context window.

The policy checks every candidate against these before cost and the router, so a tool or image
request is never sent to a model that declares neither while another configured model would do,
and a prompt longer than a model's window is routed to a bigger one or refused with a 4xx that
names the limits. What the answer must carry beyond one text — several choices (``n > 1``) or
log probabilities — is a need too (``Needs.returns``): which models can return them is a fact of
their adapter (``ChatModel.can_return``), which the policy looks up and passes to ``shortfall``.

Token counts are estimated without a tokenizer (routing stays pure and fast): about four bytes of
UTF-8 per token for prose, which is what the BPE tokenizers of current chat models average on
English; code and non-Latin scripts take more tokens per byte, which the model itself then
reports as ``ContextLengthError`` — a 400 on every path as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from shoal.models.base import CHOICES, LOGPROBS
from shoal.models.types import ChatRequest, ImagePart, ModelSpec

BYTES_PER_TOKEN = 4
PER_MESSAGE_TOKENS = 4  # role markers and separators of a chat template


@dataclass(frozen=True, slots=True)
class Needs:
    """Capabilities (catalog names: ``tools``, ``vision``, ``json``), what the answer must carry
    (``returns``: ``n``, ``logprobs``) and the tokens a request needs."""

    capabilities: frozenset[str]
    prompt_tokens: int
    max_output_tokens: int
    returns: frozenset[str] = frozenset()
    choices: int = 1

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.max_output_tokens

    def describe(self) -> str:
        parts = sorted(self.capabilities)
        if CHOICES in self.returns:
            parts.append(f"n={self.choices}")
        if LOGPROBS in self.returns:
            parts.append(LOGPROBS)
        return ", ".join([*parts, f"~{self.prompt_tokens} prompt tokens"])


def estimate_tokens(request: ChatRequest) -> int:
    """A fast estimate of the prompt's tokens (messages, tool calls, tool definitions)."""
    return needs_of(request).prompt_tokens


def needs_of(request: ChatRequest) -> Needs:
    """One pass over the messages (this runs for every request, on the event loop)."""
    size = 0
    tools = bool(request.tools)
    images = False
    for m in request.messages:
        content = m.content
        if isinstance(content, str):
            text = content
        else:
            text = m.text
            images = images or any(isinstance(p, ImagePart) for p in content)
        size += len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        if m.tool_calls:
            tools = True
            for call in m.tool_calls:
                size += len(call.name) + len(call.arguments)
    if request.tools:
        size += len(orjson.dumps(list(request.tools)))
    caps = _CAPS[(tools, images, request.json_mode)]
    tokens = -(-size // BYTES_PER_TOKEN) + PER_MESSAGE_TOKENS * len(request.messages)
    returns = _RETURNS[(request.n > 1, request.logprobs)]
    return Needs(caps, tokens, request.max_tokens or 0, returns, request.n)


_CAPS = {(t, i, j): frozenset(name for name, on in (("tools", t), ("vision", i), ("json", j)) if on)
         for t in (False, True) for i in (False, True) for j in (False, True)}
_RETURNS = {(n, lp): frozenset(name for name, on in ((CHOICES, n), (LOGPROBS, lp)) if on)
            for n in (False, True) for lp in (False, True)}
_RETURN_LABELS = {CHOICES: "n > 1", LOGPROBS: "logprobs"}


def returns_shortfall(needs: Needs, returns: frozenset[str]) -> list[str]:
    """What of ``needs.returns`` (n > 1, logprobs) a model that can return ``returns`` lacks."""
    return [f"no {_RETURN_LABELS[r]} support" for r in sorted(needs.returns - returns)]


def shortfall(spec: ModelSpec, needs: Needs, *, declared: bool, returns: frozenset[str] | None = None) -> list[str]:
    """Why ``spec`` cannot serve a request with ``needs`` (empty: it can, as far as we know).

    ``declared``: whether the model's capabilities are known (a catalog entry or ``capabilities:``
    in config). A model nobody described is not ruled out for capabilities — its server decides.
    ``returns``: what the model can return beyond one answer (``ChatModel.can_return``); None when
    unknown (the model could not be built now), which rules nothing out — its own call will say.
    """
    out: list[str] = []
    if declared:
        out.extend(f"no {cap} support" for cap in sorted(needs.capabilities - spec.capabilities))
    if returns is not None:
        out.extend(returns_shortfall(needs, returns))
    window = spec.context_window
    if window is not None and needs.tokens > window:
        what = f"~{needs.prompt_tokens} prompt tokens"
        if needs.max_output_tokens:
            what += f" + {needs.max_output_tokens} max_tokens"
        out.append(f"context window {window} tokens < {what}")
    return out
