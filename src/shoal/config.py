"""Loading and validating ``shoal.yaml``.

Where the file comes from: ``--config PATH``, else ``$SHOAL_CONFIG``, else ``./shoal.yaml`` if it
exists; with none, Shoal runs on its embedded defaults. Every validation error names the file,
the dotted key and the fix. Secrets are references (``env:NAME`` or ``file:PATH``) resolved only
when the model that needs them is built, so a missing OpenAI key never stops the local model.

Each package owns its section (``rag``, ``privacy``, ``routing``, ``gateway``, ``evals``,
``tuning``, ``store``) as a pydantic model in ``shoal/<package>/config.py``.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shoal.costs.config import CostsConfig
from shoal.errors import ConfigError
from shoal.evals.config import EvalsConfig
from shoal.gateway.config import GatewayConfig
from shoal.models.config import ModelConfig
from shoal.paths import Paths
from shoal.privacy.config import PrivacyConfig
from shoal.rag.config import RagConfig
from shoal.routing.config import RoutingConfig
from shoal.store.config import StoreConfig
from shoal.tuning.config import TuningConfig

__all__ = ["CONFIG_ENV", "DEFAULT_FILE", "ModelConfig", "Settings", "ShoalConfig", "load_settings", "parse_config"]

CONFIG_ENV = "SHOAL_CONFIG"
DEFAULT_FILE = "shoal.yaml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShoalConfig(Strict):
    default_model: str = "local"
    data_dir: str = ".shoal"
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    rag: RagConfig = Field(default_factory=RagConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    gateway: GatewayConfig = Field(default_factory=GatewayConfig)
    evals: EvalsConfig = Field(default_factory=EvalsConfig)
    tuning: TuningConfig = Field(default_factory=TuningConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    costs: CostsConfig = Field(default_factory=CostsConfig)


class Settings:
    """A validated config plus where it came from (for error messages and relative paths)."""

    def __init__(self, config: ShoalConfig, path: Path | None) -> None:
        self.config = config
        self.path = path

    @property
    def source(self) -> str:
        return str(self.path) if self.path else "(built-in defaults)"

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def data_dir(self) -> Path:
        """The project's state directory (indexes, logs, caches); created on first use."""
        return self.paths.data_dir

    @property
    def paths(self) -> Paths:
        """What components get instead of the whole config: base folder, state folder, secrets."""
        return Paths.at(self.base_dir, self.config.data_dir, self.source)

    def resolve_path(self, value: str) -> Path:
        return self.paths.resolve(value)

    def resolve_secret(self, ref: str, *, key: str) -> str:
        """Resolve ``env:NAME`` / ``file:PATH``. The value is returned, never included in errors."""
        return self.paths.secret(ref, key=key)


def _format_validation_error(exc: ValidationError, source: str, raw: Any) -> ConfigError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc)
    if err["type"] == "extra_forbidden":
        parent: Any = raw
        for part in loc[:-1]:
            parent = parent.get(part, {}) if isinstance(parent, dict) else {}
        model_fields = _fields_at(loc[:-1])
        close = difflib.get_close_matches(loc[-1], model_fields, n=1)
        hint = f"did you mean {close[0]!r}?" if close else (
            f"allowed keys: {', '.join(sorted(model_fields))}" if model_fields else None)
        return ConfigError(f"unknown key {loc[-1]!r}", file=source, key=key, hint=hint)
    msg = err["msg"]
    msg = msg.removeprefix("Value error, ")
    got = err.get("input")
    # Never echo what was written under api_key: a rejected value there is most likely a real key.
    secret = bool(loc) and loc[-1] == "api_key"
    got_s = "" if secret or isinstance(got, (dict, list)) or got is None else f" (got {got!r})"
    more = len(exc.errors()) - 1
    hint = f"{more} more problem(s) after this one" if more else None
    return ConfigError(f"{msg}{got_s}", file=source, key=key, hint=hint)


def _fields_at(path: list[str]) -> list[str]:
    """The allowed keys at a dotted location, for did-you-mean suggestions."""
    model: Any = ShoalConfig
    for part in path:
        if model is None:
            return []
        if model is ShoalConfig and part == "models":
            model = dict
            continue
        if model is dict:
            model = ModelConfig
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return list(getattr(model, "model_fields", {})) if model not in (None, dict) else []


def parse_config(data: Any, source: str = "(inline)") -> ShoalConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of keys (models:, rag:, routing: ...)", file=source)
    try:
        return ShoalConfig.model_validate(data)
    except ValidationError as exc:
        raise _format_validation_error(exc, source, data) from None


def find_config_file(explicit: str | Path | None = None) -> Path | None:
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}", hint="run `shoal init` to write a starter config")
        return p
    env = os.environ.get(CONFIG_ENV)
    if env:
        p = Path(env)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p} (from ${CONFIG_ENV})")
        return p
    p = Path.cwd() / DEFAULT_FILE
    return p if p.is_file() else None


def load_settings(explicit: str | Path | None = None) -> Settings:
    """Find, read and validate the config; no file means the embedded defaults."""
    path = find_config_file(explicit)
    if path is None:
        return Settings(ShoalConfig(), None)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{problem}{where}", file=str(path), hint="fix the YAML syntax") from None
    return Settings(parse_config(data, str(path)), path.resolve())
