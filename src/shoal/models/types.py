"""Messages, requests, completions and model descriptions shared by every adapter.

Plain dataclasses (no pydantic) so that the hot path — building a request, reading a chunk —
costs nothing beyond attribute access.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]
Locality = Literal["self_hosted", "external"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]

CAPABILITIES = ("streaming", "vision", "tools", "json")


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image given by URL (``https://…``) or as a data URL (``data:image/png;base64,…``)."""

    url: str
    detail: str | None = None
    type: Literal["image"] = "image"

    @property
    def media_type(self) -> str | None:
        if self.url.startswith("data:"):
            return self.url[5:].split(";", 1)[0]
        return None

    @property
    def base64_data(self) -> str | None:
        if self.url.startswith("data:") and ";base64," in self.url:
            return self.url.split(";base64,", 1)[1]
        return None


Part = TextPart | ImagePart


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, exactly as the model produced it


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str | tuple[Part, ...] = ""
    name: str | None = None
    tool_call_id: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()

    @property
    def text(self) -> str:
        """The text of the message with image parts left out."""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def images(self) -> tuple[ImagePart, ...]:
        if isinstance(self.content, str):
            return ()
        return tuple(p for p in self.content if isinstance(p, ImagePart))

    @staticmethod
    def system(text: str) -> Message:
        return Message("system", text)

    @staticmethod
    def user(content: str | tuple[Part, ...]) -> Message:
        return Message("user", content)

    @staticmethod
    def assistant(text: str) -> Message:
        return Message("assistant", text)


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat call. ``tools`` use the OpenAI function-tool JSON shape and are translated per provider."""

    messages: tuple[Message, ...]
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    json_mode: bool = False
    # OpenAI's ``response_format.json_schema`` object ({name, schema, strict}); implies json_mode.
    # Passed through to upstreams that take it, enforced with a grammar by the embedded model.
    json_schema: dict[str, Any] | None = None
    tools: tuple[dict[str, Any], ...] = ()
    tool_choice: str | dict[str, Any] | None = None
    seed: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Several answers to one prompt (``Completion.more``), and per-token log probabilities
    # (``Completion.logprobs``). A model that cannot give them refuses the request (see ChatModel).
    n: int = 1
    logprobs: bool = False
    top_logprobs: int | None = None

    @staticmethod
    def of(prompt: str, *, system: str | None = None, **kwargs: Any) -> ChatRequest:
        msgs: list[Message] = []
        if system:
            msgs.append(Message.system(system))
        msgs.append(Message.user(prompt))
        return ChatRequest(messages=tuple(msgs), **kwargs)

    @property
    def prompt_text(self) -> str:
        """All message text joined — what routing looks at. The privacy scan reads every field of the
        request instead (``shoal.models.scan_text.request_text``)."""
        return "\n".join(m.text for m in self.messages)


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens,
                     self.completion_tokens + other.completion_tokens)


# Tokens per second one GPU sustains for a self-hosted model when its config says nothing
# (``max_tokens_per_s``). A deliberately round, conservative figure of the order vLLM reports for
# 7-70B models under concurrent load on one A100/H100-class GPU; measure yours and set it.
DEFAULT_TOKENS_PER_S_PER_GPU = 1000.0


@dataclass(frozen=True, slots=True)
class Pricing:
    """What a model costs: list prices in USD per 1M tokens, or, for a self-hosted model, the
    infrastructure it holds (``hourly_usd`` per GPU-hour × ``gpus``, plus a one-off ``setup_usd``).

    Self-hosted cost is the provisioned time, not the tokens: over a window the deployment costs
    ``hourly_usd × gpus × hours``, and each request's share is its tokens over all tokens the model
    served in that window (``shoal.costs.allocation``). A single request, priced on its own before
    the window is known, is charged at the capacity rate ``hourly_usd / (3600 × tokens_per_s)``
    per token, the cost when the GPUs are fully busy; the allocation adds the idle time back.
    """

    input_per_mtok: float = 0.0
    output_per_mtok: float = 0.0
    hourly_usd: float | None = None
    setup_usd: float | None = None
    gpus: int = 1
    max_tokens_per_s: float | None = None  # per GPU

    @property
    def self_hosted_cost(self) -> bool:
        """True when this model is charged by provisioned time (an hourly cost is set)."""
        return self.hourly_usd is not None

    @property
    def tokens_per_s(self) -> float:
        """Throughput of one GPU (configured, or the documented default)."""
        return self.max_tokens_per_s or DEFAULT_TOKENS_PER_S_PER_GPU

    @property
    def provisioned_per_hour(self) -> float:
        """USD per hour the deployment costs, busy or idle (0 for token-priced models)."""
        return (self.hourly_usd or 0.0) * max(1, self.gpus)

    def cost(self, usage: Usage) -> float:
        token_cost = (usage.prompt_tokens * self.input_per_mtok
                      + usage.completion_tokens * self.output_per_mtok) / 1_000_000
        if self.hourly_usd is None:
            return token_cost
        return token_cost + usage.total_tokens * self.hourly_usd / (3600.0 * self.tokens_per_s)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Everything Shoal knows about one configured model, independent of how it is reached."""

    name: str  # the name users and configs refer to
    provider: str  # registry key of the provider plugin
    model_id: str  # the concrete id sent to the provider
    locality: Locality = "external"
    pricing: Pricing = Pricing()
    context_window: int | None = None
    capabilities: frozenset[str] = frozenset({"streaming"})
    base_url: str | None = None
    api_key: str | None = None  # resolved secret; never logged
    api_key_ref: str | None = None  # e.g. "env:OPENAI_API_KEY", for error messages
    timeout_s: float = 60.0
    kind: Literal["chat", "embedding"] = "chat"
    options: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # keep the key out of reprs and tracebacks
        return (f"ModelSpec(name={self.name!r}, provider={self.provider!r}, model_id={self.model_id!r}, "
                f"locality={self.locality!r}, base_url={self.base_url!r})")


# One token's log probability in OpenAI's chat shape: {"token", "logprob", "bytes", "top_logprobs": [...]}.
TokenLogprob = dict[str, Any]


def token_logprobs(value: Any) -> tuple[TokenLogprob, ...] | None:
    """A choice's ``logprobs.content`` (the per-token entries of OpenAI's wire format, which
    llama-cpp-python writes too), passed through as given; None when there are none."""
    if not isinstance(value, dict) or not isinstance(value.get("content"), list):
        return None
    return tuple(t for t in value["content"] if isinstance(t, dict))


@dataclass(frozen=True, slots=True)
class Choice:
    """Another answer to the same request (``n > 1``); the first is the ``Completion`` itself."""

    text: str
    finish_reason: FinishReason | str = "stop"
    tool_calls: tuple[ToolCall, ...] = ()
    logprobs: tuple[TokenLogprob, ...] | None = None


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    model: str  # concrete model id the provider reports
    finish_reason: FinishReason | str = "stop"
    usage: Usage = Usage()  # of every choice together
    cost_usd: float = 0.0
    latency_s: float = 0.0
    provider: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    name: str = ""  # the configured name that served it
    logprobs: tuple[TokenLogprob, ...] | None = None  # when the request asked for them
    more: tuple[Choice, ...] = ()  # choices 2..n when the request asked for n > 1

    @property
    def choices(self) -> tuple[Choice, ...]:
        """Every answer, this completion's own first."""
        return (Choice(self.text, self.finish_reason, self.tool_calls, self.logprobs), *self.more)


@dataclass(frozen=True, slots=True)
class Chunk:
    """One streamed delta. The last chunk carries ``finish_reason`` and, when known, ``usage``."""

    delta: str = ""
    finish_reason: FinishReason | str | None = None
    usage: Usage | None = None
    model: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    logprobs: tuple[TokenLogprob, ...] | None = None  # of this delta's tokens, when asked for


@dataclass(frozen=True, slots=True)
class EmbeddingResult:
    vectors: list[list[float]]
    model: str
    usage: Usage = Usage()
    cost_usd: float = 0.0
    latency_s: float = 0.0
