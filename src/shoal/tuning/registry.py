"""The model registry: versions with lineage, aliases (``champion``, ``challenger``), promote, rollback.

Layout under ``<data_dir>/<tuning.registry_dir>/NAME/``:

- ``registry.json`` — the versions (lineage: base model and its file hash, dataset version and hash,
  hyperparameters, code version, training metrics, eval results), the aliases and an append-only
  history of every alias change (who, when, why, the gate's verdict or the forced reason);
- ``vN/`` — the version's artifacts: ``adapter.gguf`` (what llama.cpp serves) and ``peft/``.

Refs: ``NAME@vN``, ``NAME@champion``, ``NAME@challenger``; a bare ``NAME`` means its champion.
Writes take a file lock and replace ``registry.json`` atomically, so concurrent CLI runs and a
serving gateway never see a half-written registry.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoal.errors import NotFoundError, ShoalError
from shoal.tuning.datasets import check_name

if TYPE_CHECKING:
    from shoal.paths import Paths
    from shoal.tuning.config import TuningConfig

ALIASES = ("champion", "challenger")
REGISTRY_FILE = "registry.json"
ADAPTER_FILE = "adapter.gguf"
_REF = re.compile(r"^(?P<name>[^@]+)(?:@(?P<tag>v\d+|[A-Za-z_]+))?$")


class RegistryError(ShoalError):
    """A registry operation that cannot be done as asked."""


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def code_version() -> str:
    """The git commit of the running Shoal code (``+dirty`` with local changes), else the package version."""
    from shoal._version import __version__

    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                             timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", str(here.parent)], cwd=here,
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"shoal {__version__}"
    return f"git:{sha}{'+dirty' if dirty else ''}"


def parse_model_ref(ref: str) -> tuple[str, str]:
    """``NAME@vN`` / ``NAME@alias`` / ``NAME`` → (NAME, tag) with tag ``vN`` or an alias."""
    match = _REF.match(ref.strip())
    if not match:
        raise RegistryError(f"invalid model reference {ref!r}", hint="write NAME@vN, NAME@champion or NAME@challenger")
    tag = match.group("tag") or "champion"
    is_version = tag.startswith("v") and tag[1:].isdigit()
    if not is_version and tag not in ALIASES:
        raise RegistryError(f"unknown alias {tag!r} in {ref!r}", hint=f"aliases: {', '.join(ALIASES)}")
    return check_name(match.group("name"), "model"), tag


@dataclass(frozen=True)
class ModelVersion:
    """One registered version and its lineage."""

    name: str
    version: int
    created_at: float
    base_model: str  # the catalog name it was trained from
    base_path: str  # the base GGUF file
    base_sha256: str
    adapter: str | None  # file name inside the version dir (None: the base model as it is)
    adapter_sha256: str | None = None
    dataset: str | None = None  # NAME@vN
    dataset_sha256: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    code_version: str = ""
    train: dict[str, Any] = field(default_factory=dict)
    evals: list[dict[str, Any]] = field(default_factory=list)
    notes: str = ""
    self_hosted_only: bool = False

    @property
    def ref(self) -> str:
        return f"{self.name}@v{self.version}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> ModelVersion:
        known = set(ModelVersion.__dataclass_fields__)
        return ModelVersion(**{k: v for k, v in data.items() if k in known})


class Registry:
    """Versions and aliases of fine-tuned models, under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # --- storage ------------------------------------------------------------------------------------

    def _file(self, name: str) -> Path:
        return self.root / name / REGISTRY_FILE

    def _read(self, name: str) -> dict[str, Any]:
        path = self._file(name)
        if not path.is_file():
            return {"name": name, "versions": [], "aliases": {}, "history": []}
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RegistryError(f"cannot read {path}: {exc}", hint="restore it from a backup") from None
        return data

    def _write(self, name: str, data: dict[str, Any]) -> None:
        path = self._file(name)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    @contextmanager
    def _edit(self, name: str) -> Iterator[dict[str, Any]]:
        (self.root / name).mkdir(parents=True, exist_ok=True)
        with (self.root / name / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                data = self._read(name)
                yield data
                self._write(name, data)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def stamp(self, name: str) -> float:
        """Modification time of the registry file (servers reload aliases when it changes)."""
        try:
            return self._file(name).stat().st_mtime
        except OSError:
            return 0.0

    # --- reading ------------------------------------------------------------------------------------

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / REGISTRY_FILE).is_file())

    def versions(self, name: str) -> list[ModelVersion]:
        return [ModelVersion.from_json(v) for v in self._read(name)["versions"]]

    def aliases(self, name: str) -> dict[str, int]:
        return {k: int(v) for k, v in self._read(name)["aliases"].items()}

    def history(self, name: str) -> list[dict[str, Any]]:
        return list(self._read(name)["history"])

    def get(self, ref: str) -> ModelVersion:
        """Resolve ``NAME@vN`` or ``NAME@alias`` to a version."""
        name, tag = parse_model_ref(ref)
        data = self._read(name)
        if not data["versions"]:
            raise NotFoundError(f"no model named {name!r} in the registry {self.root}",
                                hint=f"registered: {', '.join(self.names()) or 'none'}; train one with "
                                     "`shoal tune lora`")
        if tag in ALIASES:
            number = data["aliases"].get(tag)
            if number is None:
                raise NotFoundError(f"{name} has no {tag} yet",
                                    hint=f"promote a version: `shoal registry promote {name}@vN`")
        else:
            number = int(tag[1:])
        for v in data["versions"]:
            if v["version"] == number:
                return ModelVersion.from_json(v)
        raise NotFoundError(f"{name} has no version v{number}",
                            hint=f"versions: {', '.join('v' + str(v['version']) for v in data['versions'])}")

    def version_dir(self, version: ModelVersion) -> Path:
        return self.root / version.name / f"v{version.version}"

    def adapter_path(self, version: ModelVersion) -> Path | None:
        return self.version_dir(version) / version.adapter if version.adapter else None

    # --- writing ------------------------------------------------------------------------------------

    def register(self, name: str, *, base_model: str, base_path: Path, adapter_dir: Path | None = None,
                 dataset: str | None = None, dataset_sha256: str | None = None,
                 hyperparameters: dict[str, Any] | None = None, train: dict[str, Any] | None = None,
                 notes: str = "", self_hosted_only: bool = False) -> ModelVersion:
        """Add a version; ``adapter_dir`` (holding ``adapter.gguf`` and ``peft/``) is copied in."""
        check_name(name, "model")
        if adapter_dir is not None and not (adapter_dir / ADAPTER_FILE).is_file():
            raise RegistryError(f"{adapter_dir} has no {ADAPTER_FILE}", hint="train with `shoal tune lora` first")
        base_sha = file_sha256(base_path)
        with self._edit(name) as data:
            number = max((v["version"] for v in data["versions"]), default=0) + 1
            target = self.root / name / f"v{number}"
            if target.exists():
                shutil.rmtree(target)  # left over from a crashed register: never listed, safe to replace
            target.mkdir(parents=True)
            adapter_sha = None
            if adapter_dir is not None:
                shutil.copy2(adapter_dir / ADAPTER_FILE, target / ADAPTER_FILE)
                if (adapter_dir / "peft").is_dir():
                    shutil.copytree(adapter_dir / "peft", target / "peft")
                adapter_sha = file_sha256(target / ADAPTER_FILE)
                os.chmod(target / ADAPTER_FILE, 0o444)
            version = ModelVersion(
                name=name, version=number, created_at=time.time(), base_model=base_model,
                base_path=str(base_path), base_sha256=base_sha, adapter=ADAPTER_FILE if adapter_dir else None,
                adapter_sha256=adapter_sha, dataset=dataset, dataset_sha256=dataset_sha256,
                hyperparameters=dict(hyperparameters or {}), code_version=code_version(), train=dict(train or {}),
                notes=notes, self_hosted_only=self_hosted_only)
            data["versions"].append(version.to_json())
            data["history"].append({"ts": version.created_at, "action": "register", "version": number})
        return version

    def add_eval(self, ref: str, result: dict[str, Any]) -> None:
        version = self.get(ref)
        with self._edit(version.name) as data:
            for v in data["versions"]:
                if v["version"] == version.version:
                    v.setdefault("evals", []).append(result)

    def set_alias(self, ref: str, alias: str, *, action: str, reason: str | None = None,
                  gate: dict[str, Any] | None = None, actor: str | None = None) -> ModelVersion:
        """Point ``alias`` at the version ``ref`` names, recording the change in the history."""
        if alias not in ALIASES:
            raise RegistryError(f"unknown alias {alias!r}", hint=f"aliases: {', '.join(ALIASES)}")
        version = self.get(ref)
        with self._edit(version.name) as data:
            previous = data["aliases"].get(alias)
            data["aliases"][alias] = version.version
            if alias == "champion" and data["aliases"].get("challenger") == version.version:
                del data["aliases"]["challenger"]  # a promoted challenger stops being one
            entry: dict[str, Any] = {"ts": time.time(), "action": action, "alias": alias,
                                     "from": previous, "to": version.version, "actor": actor or _actor()}
            if reason:
                entry["reason"] = reason
            if gate is not None:
                entry["gate"] = gate
            data["history"].append(entry)
        return version

    def clear_alias(self, name: str, alias: str, *, reason: str | None = None) -> None:
        with self._edit(name) as data:
            previous = data["aliases"].pop(alias, None)
            data["history"].append({"ts": time.time(), "action": "clear", "alias": alias, "from": previous,
                                    "to": None, "actor": _actor(), **({"reason": reason} if reason else {})})

    def rollback(self, name: str, *, to: int | None = None, reason: str | None = None) -> ModelVersion:
        """Make the previous champion (or version ``to``) the champion again."""
        aliases = self.aliases(name)
        current = aliases.get("champion")
        if current is None:
            raise RegistryError(f"{name} has no champion to roll back", hint="promote a version first")
        if to is None:
            # The promotion that made the current champion (not a rollback to it), so repeated
            # rollbacks walk back down the chain of promotions instead of toggling.
            changes = [h for h in self.history(name) if h.get("alias") == "champion" and h.get("to") == current
                       and h.get("action") != "rollback"]
            earlier = changes[-1].get("from") if changes else None
            if earlier is None:
                raise RegistryError(f"{name}@v{current} is the first champion; there is nothing to roll back to",
                                    hint=f"name a version: `shoal registry rollback {name} --to N`")
            to = int(earlier)
        if to == current:
            raise RegistryError(f"{name}@v{to} is already the champion")
        return self.set_alias(f"{name}@v{to}", "champion", action="rollback", reason=reason)


def _actor() -> str:
    return os.environ.get("SHOAL_ACTOR") or os.environ.get("USER") or "unknown"


def registry_root(config: TuningConfig, paths: Paths) -> Path:
    """``tuning.registry_dir``; a relative one is under the data dir."""
    d = Path(config.registry_dir).expanduser()
    return d if d.is_absolute() else paths.data_dir / d


def open_registry(config: TuningConfig, paths: Paths) -> Registry:
    """The registry configured by ``tuning.registry_dir`` (relative to the data dir)."""
    return Registry(registry_root(config, paths))


def provider_options(config: TuningConfig, paths: Paths) -> dict[str, dict[str, Any]]:
    """What ``provider: registry`` models need from the project config (given to the ``Catalog``)."""
    return {"registry": {"registry_dir": str(registry_root(config, paths)), "canary_share": config.canary_share}}
