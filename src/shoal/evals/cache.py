"""Content-addressed cache of model responses, so an interrupted or repeated run never pays twice.

Key = sha256 of (model identity, request, sample index). The model identity is what determines
the answer — provider, concrete model id, endpoint, options — never the configured name or the
price, and never the API key. Entries are small JSON files written atomically (temp file +
rename), so a crash mid-write leaves no half entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shoal.models.types import ChatRequest, Completion, ModelSpec, Usage

_VERSION = 1


def model_identity(spec: ModelSpec) -> dict[str, Any]:
    """What makes two configured models answer the same way (no name, price or secret)."""
    return {"provider": spec.provider, "model_id": spec.model_id, "base_url": spec.base_url,
            "kind": spec.kind, "options": spec.options}


def request_identity(request: ChatRequest) -> dict[str, Any]:
    return {
        "messages": [[m.role, m.text, m.name, [i.url for i in m.images]] for m in request.messages],
        "temperature": request.temperature, "max_tokens": request.max_tokens, "top_p": request.top_p,
        "stop": list(request.stop), "json_mode": request.json_mode, "tools": list(request.tools),
        "tool_choice": request.tool_choice, "seed": request.seed,
    }


def cache_key(spec: ModelSpec, request: ChatRequest, sample: int) -> str:
    payload = {"v": _VERSION, "model": model_identity(spec), "request": request_identity(request), "sample": sample}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedResponse:
    text: str
    model: str
    finish_reason: str
    usage: Usage
    latency_s: float

    def completion(self, spec: ModelSpec) -> Completion:
        """Rebuild a completion; cost comes from today's price of the model, not the stored one."""
        return Completion(text=self.text, model=self.model, finish_reason=self.finish_reason, usage=self.usage,
                          cost_usd=spec.pricing.cost(self.usage), latency_s=self.latency_s,
                          provider=spec.provider, name=spec.name)


class ResponseCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedResponse | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            usage = data["usage"]
            return CachedResponse(text=str(data["text"]), model=str(data["model"]),
                                  finish_reason=str(data["finish_reason"]),
                                  usage=Usage(int(usage[0]), int(usage[1])), latency_s=float(data["latency_s"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None  # a damaged entry is a miss; the fresh answer overwrites it

    def put(self, key: str, completion: Completion) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"text": completion.text, "model": completion.model, "finish_reason": completion.finish_reason,
                "usage": [completion.usage.prompt_tokens, completion.usage.completion_tokens],
                "latency_s": completion.latency_s}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; the cache is shared by the team
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
