"""``provider: replay`` — a chat model that answers from recorded answers, keyed by prompt.

For evaluating answers a team already has (exported from production logs, a vendor's batch
output, a model that is no longer reachable) without calling anything::

    models:
      vendor-x:
        provider: replay
        locality: external
        input_price: 0.15          # what the original model charged, for cost reports
        output_price: 0.60
        options: {answers: evals/vendor_x_answers.jsonl}   # {"prompt": ..., "answer": ...} per line

The key is the last user message with whitespace collapsed. A prompt with no recorded answer
raises ``BadRequestError`` (recorded per item by the eval runner, never invented).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

from shoal.errors import BadRequestError, ConfigError
from shoal.models.base import ChatModel, EmbeddingModel
from shoal.models.types import ChatRequest, Chunk, Completion, ModelSpec, Usage


def _key(text: str) -> str:
    return " ".join(text.split())


def _tokens(text: str) -> int:
    return len(re.findall(r"\w+|[^\w\s]", text))


def load_answers(path: Path, *, key: str) -> dict[str, str]:
    answers: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read recorded answers {path}: {exc.strerror}", key=key,
                          hint="point options.answers at a JSONL file of {prompt, answer} objects") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            answers[_key(str(row["prompt"]))] = str(row["answer"])
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"{path}:{n}: expected a JSON object with 'prompt' and 'answer'", key=key) from None
    return answers


class ReplayChatModel(ChatModel):
    def __init__(self, spec: ModelSpec, answers: dict[str, str]) -> None:
        super().__init__(spec)
        self.answers = answers

    def _answer(self, request: ChatRequest) -> Completion:
        users = [m.text for m in request.messages if m.role == "user"]
        prompt = _key(users[-1]) if users else ""
        if prompt not in self.answers:
            raise BadRequestError(f"no recorded answer for prompt {prompt[:60]!r}", provider="replay",
                                  model=self.spec.model_id, hint="add it to the answers file")
        text = self.answers[prompt]
        usage = Usage(sum(_tokens(m.text) for m in request.messages), _tokens(text))
        return Completion(text=text, model=self.spec.model_id, usage=usage)

    async def _complete(self, request: ChatRequest) -> Completion:
        return self._answer(request)

    async def _stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        done = self._answer(request)
        yield Chunk(delta=done.text, model=done.model)
        yield Chunk(finish_reason="stop", usage=done.usage, model=done.model)


class ReplayProvider:
    name = "replay"
    # The keys ``options:`` may hold (anything else is a config error naming the key).
    options: frozenset[str] | None = frozenset({"answers"})
    default_locality = "external"
    default_base_url: str | None = None
    api_key_env: str | None = None

    def chat_model(self, spec: ModelSpec) -> ChatModel:
        raw = spec.options.get("answers")
        key = f"models.{spec.name}.options.answers"
        if not isinstance(raw, str) or not raw:
            raise ConfigError("replay needs options.answers: a JSONL file of {prompt, answer}", key=key)
        # Relative to the working directory, like every other path in provider options.
        return ReplayChatModel(spec, load_answers(Path(raw).expanduser(), key=key))

    def embedding_model(self, spec: ModelSpec) -> EmbeddingModel:
        raise ConfigError("the replay provider has no embedding models", key=f"models.{spec.name}.provider")
