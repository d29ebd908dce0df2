"""The YAML eval spec: what to compare, on which dataset, scored how, under which limits.

::

    name: handbook
    dataset: handbook.jsonl            # relative to this file
    system: Answer in one or two sentences.
    max_tokens: 96
    targets:
      - model: local                   # a configured model (name defaults to the model)
      - {name: helper, model: helper-8b}
      - {name: rag-local, rag: {collection: handbook, model: local}}
      - {name: auto, route: auto}       # the routing pipeline decides per item
    metrics:
      - token_f1
      - {name: judge, params: {model: local}}
    quality: [token_f1, judge]         # which metrics make the quality score (default: all quality metrics)
    samples: 1
    concurrency: 4
    budget_usd: 0.50
    requirements: {min_quality: 0.5, max_p95_latency_s: 8, max_cost_per_1k_usd: 2.0,
                   sensitive_self_hosted: true}

Every validation error names the spec file, the dotted key and the fix.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shoal.errors import ConfigError
from shoal.evals.metrics.base import MetricConfig
from shoal.evals.metrics.registry import validate_metrics


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RagTargetConfig(_Strict):
    collection: str
    model: str | None = Field(default=None, description="model that answers; default: default_model")
    groups: list[str] = Field(default_factory=list, description="the principal's groups (document ACL)")
    answer: Literal["auto", "extractive", "generative"] = Field(
        default="auto", description="extractive: quote the retrieved sentences (no model call); generative: the "
                                    "model writes the answer; auto: as rag.answer decides for the model")


class TargetConfig(_Strict):
    """Exactly one of ``model``, ``rag``, ``route``."""

    name: str | None = None
    model: str | None = None
    rag: RagTargetConfig | None = None
    route: str | None = Field(default=None, description="requested model for the router, usually 'auto'")
    system: str | None = None
    max_tokens: int | None = Field(default=None, gt=0)
    temperature: float | None = Field(default=None, ge=0, le=2)

    @model_validator(mode="after")
    def _one_kind(self) -> TargetConfig:
        given = [k for k in ("model", "rag", "route") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of model:, rag: or route: "
                             f"(got {', '.join(given) if given else 'none'})")
        return self

    @property
    def kind(self) -> str:
        return "model" if self.model is not None else ("rag" if self.rag is not None else "route")

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.model is not None:
            return self.model
        if self.rag is not None:
            return f"rag:{self.rag.collection}:{self.rag.model or 'default'}"
        return f"route:{self.route}"


class Requirements(_Strict):
    """What `shoal eval recommend` checks; every field optional."""

    min_quality: float | None = Field(default=None, ge=0, le=1)
    max_p95_latency_s: float | None = Field(default=None, gt=0)
    max_cost_per_1k_usd: float | None = Field(default=None, ge=0)
    max_error_rate: float | None = Field(default=None, ge=0, le=1)
    min_safety: float | None = Field(default=None, ge=0, le=1)
    sensitive_self_hosted: bool = False


class EvalSpec(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    dataset: str
    targets: list[TargetConfig] = Field(min_length=1)
    metrics: list[MetricConfig] = Field(min_length=1)
    quality: list[str] | None = None
    system: str | None = None
    max_tokens: int | None = Field(default=None, gt=0)
    temperature: float | None = Field(default=None, ge=0, le=2)
    samples: int = Field(default=1, ge=1, le=50)
    concurrency: int | None = Field(default=None, ge=1, le=256)
    budget_usd: float | None = Field(default=None, ge=0)
    judge_model: str | None = None
    limit: int | None = Field(default=None, gt=0, description="only the first N items (smoke runs)")
    requirements: Requirements = Field(default_factory=Requirements)

    @model_validator(mode="after")
    def _unique(self) -> EvalSpec:
        labels = [t.label for t in self.targets]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ValueError(f"duplicate target name(s) {', '.join(dup)}: give each a distinct name:")
        keys = [m.key for m in self.metrics]
        dupm = sorted({x for x in keys if keys.count(x) > 1})
        if dupm:
            raise ValueError(f"metric {', '.join(dupm)} listed twice: give one a distinct label:")
        if self.quality is not None:
            missing = [q for q in self.quality if q not in keys]
            if missing:
                raise ValueError(f"quality names {', '.join(missing)} which is not under metrics: "
                                 f"(metrics: {', '.join(keys)})")
        return self


class LoadedSpec:
    """A validated spec plus the file it came from (dataset paths are relative to it)."""

    def __init__(self, spec: EvalSpec, path: Path | None, raw_text: str) -> None:
        self.spec = spec
        self.path = path
        self.raw_text = raw_text

    @property
    def source(self) -> str:
        return str(self.path) if self.path else "(inline spec)"

    @property
    def dataset_path(self) -> Path:
        p = Path(self.spec.dataset).expanduser()
        if p.is_absolute() or self.path is None:
            return p
        return self.path.parent / p

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.spec.model_dump(), sort_keys=True).encode()).hexdigest()[:12]


def _fields_of(model: type[BaseModel], loc: list[str]) -> list[str]:
    current: Any = model
    for part in loc:
        if part.isdigit():
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        candidates = [ann, *args] + [a for arg in args for a in getattr(arg, "__args__", ())]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _error(exc: ValidationError, source: str) -> ConfigError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc) or "(top level)"
    more = len(exc.errors()) - 1
    tail = f" ({more} more problem(s) after this one)" if more else ""
    if err["type"] == "extra_forbidden":
        allowed = _fields_of(EvalSpec, loc[:-1])
        close = difflib.get_close_matches(loc[-1], allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(sorted(allowed))}"
        return ConfigError(f"unknown key {loc[-1]!r}", file=source, key=key, hint=hint + tail)
    if err["type"] == "missing":
        return ConfigError("required key is missing", file=source, key=key,
                           hint=f"add {loc[-1]}: (see `shoal eval run --help` for an example spec){tail}")
    msg = str(err["msg"]).removeprefix("Value error, ")
    got = err.get("input")
    got_s = "" if isinstance(got, (dict, list)) or got is None else f" (got {got!r})"
    return ConfigError(f"{msg}{got_s}", file=source, key=key, hint=tail.strip(" ()") or None)


def parse_spec(data: Any, source: str = "(inline spec)", path: Path | None = None, raw_text: str = "") -> LoadedSpec:
    """Validate a decoded YAML mapping; metric names and params are checked by the registry."""
    if not isinstance(data, dict):
        raise ConfigError("the spec must be a mapping (name:, dataset:, targets:, metrics: ...)", file=source)
    data = dict(data)
    metrics = data.get("metrics")
    if isinstance(metrics, list):  # allow the short form `- token_f1`
        data["metrics"] = [{"name": m} if isinstance(m, str) else m for m in metrics]
    targets = data.get("targets")
    if isinstance(targets, list):
        data["targets"] = [{"model": t} if isinstance(t, str) else t for t in targets]
    try:
        spec = EvalSpec.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, source) from None
    validate_metrics(spec.metrics, source)
    return LoadedSpec(spec, path, raw_text or yaml.safe_dump(data, sort_keys=False))


def load_spec(path: str | Path) -> LoadedSpec:
    """Read and validate an eval spec YAML file."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"eval spec not found: {p}", hint="give the path of a YAML spec (see examples/evals/)")
    try:
        text = p.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(p)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{getattr(exc, 'problem', None) or 'invalid YAML'}{where}", file=str(p),
                          hint="fix the YAML syntax") from None
    return parse_spec(data, str(p), p.resolve(), text)
