"""Immutable, versioned, content-hashed dataset snapshots: ``NAME@vN``.

Layout under ``<data_dir>/<tuning.datasets_dir>/NAME/vN/``:

- ``examples.jsonl`` — one example per line (sorted by id, so equal content gives equal bytes),
  each with its split (``train`` / ``heldout``);
- ``manifest.json`` — name, version, sha256 of ``examples.jsonl``, counts, sources, scrub report,
  split parameters.

A version is never rewritten: both files are written to a temporary directory, made read-only and
renamed into place in one step, and every load re-hashes ``examples.jsonl`` against the manifest
(a modified snapshot is an error, not silently different training data). Snapshotting content
identical to an existing version returns that version instead of making a new one.

The held-out split is decided per *prompt* from a seeded hash, so an example keeps its split across
versions and two answers to one prompt never straddle train and held-out.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoal.errors import NotFoundError, ShoalError
from shoal.feedback.examples import Example

if TYPE_CHECKING:
    from shoal.paths import Paths
    from shoal.tuning.config import TuningConfig

EXAMPLES = "examples.jsonl"
MANIFEST = "manifest.json"
SPLITS = ("train", "heldout")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_REF = re.compile(r"^(?P<name>[^@]+)(?:@(?P<ver>v\d+|latest))?$")


class DatasetIntegrityError(ShoalError):
    """A stored snapshot no longer matches its content hash."""


def check_name(name: str, what: str = "dataset") -> str:
    if not _NAME.match(name):
        raise ShoalError(f"invalid {what} name {name!r}",
                         hint="use letters, digits, '_', '.', '-' (at most 64, starting with a letter or digit)")
    return name


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``NAME@vN`` → (NAME, N); ``NAME`` or ``NAME@latest`` → (NAME, None)."""
    match = _REF.match(ref.strip())
    if not match:
        raise ShoalError(f"invalid dataset reference {ref!r}", hint="write NAME@vN (e.g. helpdesk@v2) or NAME")
    ver = match.group("ver")
    return check_name(match.group("name")), (int(ver[1:]) if ver and ver != "latest" else None)


def assign_split(example: Example, holdout_fraction: float, seed: int) -> str:
    """Deterministic split by a seeded hash of the prompt."""
    if holdout_fraction <= 0:
        return "train"
    h = int(hashlib.sha256(f"{seed}:{example.prompt_key}".encode()).hexdigest()[:15], 16)
    return "heldout" if h / float(1 << 60) < holdout_fraction else "train"


@dataclass(frozen=True)
class DatasetVersion:
    """One loaded snapshot."""

    name: str
    version: int
    path: Path
    manifest: dict[str, Any]
    examples: tuple[Example, ...]

    @property
    def ref(self) -> str:
        return f"{self.name}@v{self.version}"

    @property
    def content_hash(self) -> str:
        return str(self.manifest["sha256"])

    @property
    def self_hosted_only(self) -> bool:
        return bool(self.manifest.get("scrub", {}).get("self_hosted_only"))

    def split(self, split: str) -> list[Example]:
        if split not in (*SPLITS, "all"):
            raise ShoalError(f"unknown split {split!r}", hint="use train, heldout or all")
        return [e for e in self.examples if split == "all" or e.split == split]


def _serialise(examples: Sequence[Example]) -> bytes:
    rows = sorted((e.to_json() for e in examples), key=lambda r: (r["split"], r["id"]))
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode()


class DatasetStore:
    """Creates, lists and loads dataset snapshots under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        d = self.root / name
        d.mkdir(parents=True, exist_ok=True)
        with (d / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # two `dataset create` runs must not both take vN+1
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def versions(self, name: str) -> list[int]:
        d = self.root / name
        if not d.is_dir():
            return []
        return sorted(int(p.name[1:]) for p in d.iterdir() if p.is_dir() and re.fullmatch(r"v\d+", p.name))

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self.versions(p.name))

    def create(self, name: str, examples: Sequence[Example], *, holdout_fraction: float, seed: int,
               info: dict[str, Any] | None = None) -> tuple[DatasetVersion, bool]:
        """Snapshot ``examples`` as the next version of ``name`` (splits assigned here).

        Returns (version, created); ``created`` is False when an existing version has the same content.
        """
        check_name(name)
        if not examples:
            raise ShoalError(f"dataset {name!r} would be empty",
                             hint="accept some feedback first (`shoal feedback review`) or add --file")
        split = [e.with_split(assign_split(e, holdout_fraction, seed)) for e in examples]
        payload = _serialise(split)
        digest = hashlib.sha256(payload).hexdigest()
        with self._lock(name):
            for v in self.versions(name):
                manifest = self._manifest(name, v)
                if manifest.get("sha256") == digest:
                    return self.get(f"{name}@v{v}"), False
            version = (self.versions(name) or [0])[-1] + 1
            counts = {s: sum(e.split == s for e in split) for s in SPLITS}
            manifest = {
                "name": name, "version": version, "sha256": digest, "created_at": time.time(),
                "examples": len(split), "splits": counts,
                "sft": sum(e.is_sft for e in split), "preference": sum(e.is_preference for e in split),
                "kto": sum(e.label is not None for e in split),
                "holdout_fraction": holdout_fraction, "split_seed": seed, **(info or {}),
            }
            tmp = Path(tempfile.mkdtemp(prefix=f".v{version}-", dir=self.root / name))
            try:
                (tmp / EXAMPLES).write_bytes(payload)
                (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
                for f in (EXAMPLES, MANIFEST):
                    os.chmod(tmp / f, 0o444)
                os.rename(tmp, self.root / name / f"v{version}")
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        return self.get(f"{name}@v{version}"), True

    def _manifest(self, name: str, version: int) -> dict[str, Any]:
        path = self.root / name / f"v{version}" / MANIFEST
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DatasetIntegrityError(f"cannot read {path}: {exc}") from None
        return data

    def resolve(self, ref: str) -> tuple[str, int]:
        name, version = parse_ref(ref)
        versions = self.versions(name)
        if not versions:
            raise NotFoundError(f"no dataset named {name!r} in {self.root}",
                                hint=f"datasets: {', '.join(self.names()) or 'none yet'}; "
                                     "create one with `shoal dataset create`")
        if version is None:
            return name, versions[-1]
        if version not in versions:
            raise NotFoundError(f"dataset {name!r} has no version v{version}",
                                hint=f"versions: {', '.join(f'v{v}' for v in versions)}")
        return name, version

    def get(self, ref: str) -> DatasetVersion:
        """Load a snapshot, verifying its content hash."""
        name, version = self.resolve(ref)
        d = self.root / name / f"v{version}"
        manifest = self._manifest(name, version)
        payload = (d / EXAMPLES).read_bytes()
        if hashlib.sha256(payload).hexdigest() != manifest.get("sha256"):
            raise DatasetIntegrityError(
                f"dataset {name}@v{version} was modified after it was created ({d / EXAMPLES})",
                hint="snapshots are immutable: create a new version instead of editing one")
        examples = tuple(Example.from_json(json.loads(line)) for line in payload.decode().splitlines() if line)
        return DatasetVersion(name, version, d, manifest, examples)

    def list(self, name: str | None = None) -> list[dict[str, Any]]:
        """Manifests of every version (of one dataset, or of all)."""
        names = [name] if name else self.names()
        return [self._manifest(n, v) for n in names for v in self.versions(n)]


def dataset_store(config: TuningConfig, paths: Paths) -> DatasetStore:
    """The store configured by ``tuning.datasets_dir`` (relative to the data dir)."""
    d = Path(config.datasets_dir).expanduser()
    return DatasetStore(d if d.is_absolute() else paths.data_dir / d)
