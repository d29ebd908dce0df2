"""How much a request may cost at most: what admission reserves against budgets and rate limits.

The prompt is counted before any model sees it, so its token count is an upper estimate: one
token per 3 UTF-8 bytes of every text the request carries (messages, tool calls, tool
definitions), a few tokens of framing per message, and a flat charge per image. Real tokenizers
give about one token per 4 bytes of English, so the estimate errs high: the reservation, and
with it the admission check, stays on the safe side.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from shoal.models.types import ChatRequest, ModelSpec

PER_MESSAGE = 4
PER_IMAGE = 1_000


def text_tokens(text: str) -> int:
    """Upper estimate of the tokens in ``text``: a third of its UTF-8 size, which is known without
    encoding (constant time: nothing user-sized runs on the event loop) — its length for ASCII,
    at most four bytes per character otherwise."""
    chars = len(text)
    return -(-chars // 3) if text.isascii() else -(-chars * 4 // 3)


def prompt_tokens(request: ChatRequest) -> int:
    """Upper estimate of the prompt tokens of ``request`` (every field a provider bills)."""
    total = 0
    for m in request.messages:
        total += PER_MESSAGE + text_tokens(m.text) + PER_IMAGE * len(m.images)
        for call in m.tool_calls:
            total += text_tokens(call.name) + text_tokens(call.arguments)
    if request.tools:
        total += text_tokens(orjson.dumps(list(request.tools)).decode())
    return total


def max_cost(prompt: int, completion: int, specs: Iterable[ModelSpec | None], cap_usd: float | None) -> float:
    """USD of ``prompt`` + ``completion`` tokens at the highest price among ``specs`` (the models
    that may answer, fallbacks included), capped at ``cap_usd`` when configured."""
    worst = 0.0
    for spec in specs:
        if spec is not None:
            worst = max(worst, (prompt * spec.pricing.input_per_mtok
                                + completion * spec.pricing.output_per_mtok) / 1_000_000)
    return min(worst, cap_usd) if cap_usd is not None else worst
