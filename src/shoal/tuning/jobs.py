"""The tuning jobs as Python API (what the CLI runs): build a dataset version, train, register.

::

    from shoal.tuning.jobs import build_dataset, tune_lora
    built = build_dataset(tuning, privacy, paths, "helpdesk", store=request_log)
    result, version = tune_lora(tuning, paths, catalog, base_model="local", dataset_ref=built.version.ref,
                                name="helpdesk")

``tuning`` and ``privacy`` are those config sections, ``paths`` the project's folders
(``shoal.paths.Paths``); the CLI gets them from the wiring.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shoal.errors import ConfigError, ShoalError
from shoal.feedback.examples import Example, Issue, dedupe, read_examples
from shoal.tuning.config import LoraConfig, TuningConfig
from shoal.tuning.datasets import DatasetVersion, dataset_store
from shoal.tuning.scrub import PiiDetector, ScrubReport, default_detector, scrub_examples

if TYPE_CHECKING:
    from shoal.catalog import Catalog
    from shoal.paths import Paths
    from shoal.privacy.config import PrivacyConfig
    from shoal.store import Store
    from shoal.tuning.lora import TrainProgress, TrainResult
    from shoal.tuning.registry import ModelVersion


@dataclass
class BuildResult:
    version: DatasetVersion
    created: bool
    scrub: ScrubReport
    duplicates: int
    issues: list[Issue] = field(default_factory=list)


def build_dataset(config: TuningConfig, privacy: PrivacyConfig, paths: Paths, name: str, *,
                  from_feedback: bool = True, files: Sequence[Path] = (), include_pending: bool = False,
                  policy: str | None = None, holdout: float | None = None, seed: int | None = None,
                  detector: PiiDetector | None = None, store: Store | None = None,
                  extra: Sequence[Example] = ()) -> BuildResult:
    """Collect → dedupe → scrub → split → snapshot. Accepted feedback only unless ``include_pending``.

    ``store`` is the request log the feedback is read from (needed with ``from_feedback``); the
    privacy section's detectors scrub the examples.
    """
    cfg = config
    examples: list[Example] = list(extra)
    issues: list[Issue] = []
    sources: list[str] = []
    if from_feedback:
        from shoal.feedback.curate import examples_from_feedback

        if store is None:
            raise ValueError("build_dataset(from_feedback=True) needs the request-log store")
        statuses = ("accepted", "pending") if include_pending else ("accepted",)
        found, skipped = examples_from_feedback(store, statuses=statuses)
        examples += found
        issues += skipped
        sources.append(f"feedback({'+'.join(statuses)}): {len(found)}")
    for path in files:
        found, skipped = read_examples(path)
        examples += found
        issues += skipped
        sources.append(f"file {path}: {len(found)}")
    unique, duplicates = dedupe(examples)
    policy = policy or cfg.scrub_policy
    kept, report = scrub_examples(unique, policy, detector or default_detector(privacy),
                                  placeholder=privacy.redact.placeholder)
    version, created = dataset_store(config, paths).create(
        name, kept, holdout_fraction=cfg.holdout_fraction if holdout is None else holdout,
        seed=cfg.split_seed if seed is None else seed,
        info={"sources": sources, "duplicates_dropped": duplicates, "scrub": report.to_json(),
              "skipped": [str(i) for i in issues[:200]], "skipped_count": len(issues),
              "reviewed_only": not include_pending})
    return BuildResult(version, created, report, duplicates, issues)


def resolve_base(catalog: Catalog, model: str) -> Path:
    """The GGUF file behind a configured model (what LoRA trains and llama.cpp serves)."""
    spec = catalog.spec(model, resolve_secret=False)
    if spec.provider == "registry":
        raise ConfigError(f"{model!r} is a registry model; train from its base model instead",
                          key=f"models.{model}.provider",
                          hint="stacking adapters is not supported: use --base with the llama_cpp model it came from")
    if spec.provider != "llama_cpp":
        raise ConfigError(f"cannot fine-tune {model!r}: its provider is {spec.provider!r}",
                          key=f"models.{model}.provider",
                          hint="LoRA tuning needs open weights as a GGUF file: a provider: llama_cpp model "
                               "(e.g. the embedded `local`)")
    from shoal.models.local import LlamaCppChatModel

    return LlamaCppChatModel(spec).model_path


def hyperparameters(config: TuningConfig, overrides: dict[str, Any]) -> LoraConfig:
    """``tuning.lora`` with the non-None overrides applied (validated)."""
    data = config.lora.model_dump()
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return LoraConfig.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"invalid LoRA hyperparameters: {exc}", key="tuning.lora") from None


def tune_lora(config: TuningConfig, paths: Paths, catalog: Catalog, *, base_model: str, dataset_ref: str, name: str | None = None,
              hp: LoraConfig | None = None, progress: Callable[[TrainProgress], None] | None = None,
              register: bool = True, out_dir: Path | None = None, notes: str = "",
              ) -> tuple[TrainResult, ModelVersion | None]:
    """Train a LoRA adapter of ``base_model`` on the train split of ``dataset_ref`` and register it."""
    from shoal.tuning.lora import train_lora
    from shoal.tuning.registry import open_registry

    hp = hp or config.lora
    base_path = resolve_base(catalog, base_model)
    dataset = dataset_store(config, paths).get(dataset_ref)
    train = [e for e in dataset.split("train") if e.is_sft]
    if not train:
        raise ShoalError(f"{dataset.ref} has no SFT examples in its train split",
                         hint="it needs corrections or answers rated good")
    name = name or dataset.name
    work = out_dir or Path(tempfile.mkdtemp(prefix="shoal-lora-"))
    result = train_lora(base_path, train, work, hp, progress=progress, adapter_name=f"{name}-{dataset.ref}")
    if not register:
        return result, None
    version = open_registry(config, paths).register(
        name, base_model=base_model, base_path=base_path, adapter_dir=work, dataset=dataset.ref,
        dataset_sha256=dataset.content_hash, hyperparameters=hp.model_dump(mode="json"), train=result.metrics(),
        notes=notes, self_hosted_only=dataset.self_hosted_only)
    if out_dir is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return result, version
