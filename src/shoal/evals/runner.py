"""Run an eval spec: every item × target × sample, scored by every metric, stored as a run.

Python API (also the promotion gate of the tuning package)::

    from shoal.evals.runner import run_eval
    result = run_eval("evals/handbook.yaml", project, catalog)       # or arun_eval(...) inside a loop

(``project`` is an ``EvalProject``: the config sections and folders a run reads; the wiring builds
it with ``shoal.wiring.eval_project(settings)``.)
    result.summary.target("local").quality, result.summary.target("local").safety

Concurrency is bounded by the spec (or ``evals.concurrency``); answers go through a
content-addressed cache so a repeated or interrupted run pays only for what is missing; the
budget cap stops fresh calls and records the rest as ``skipped_budget``; an error on one item is
recorded on that item and the run goes on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shoal.catalog import Catalog
from shoal.evals import store
from shoal.evals.aggregate import RunSummary, summarize_target
from shoal.evals.cache import ResponseCache
from shoal.evals.calls import Budget, CallOutcome, CallService
from shoal.evals.dataset import Dataset, EvalItem, load_dataset
from shoal.evals.metrics.base import Metric, MetricContext, MetricResult, SampleOutput
from shoal.evals.metrics.registry import build_metric
from shoal.evals.project import EvalProject
from shoal.evals.records import SampleRecord
from shoal.evals.spec import LoadedSpec, TargetConfig, load_spec
from shoal.evals.targets import RagTarget, Target, build_targets
from shoal.models.types import ChatRequest, Completion


@dataclass(slots=True)
class RunResult:
    run_dir: Path
    summary: RunSummary
    records: list[SampleRecord]
    items: list[EvalItem]

    @property
    def run_id(self) -> str:
        return self.summary.run_id


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]


class _Run:
    """State of one run; ``execute`` does the work."""

    def __init__(self, loaded: LoadedSpec, project: EvalProject, catalog: Catalog, dataset: Dataset,
                 targets: list[Target], metrics: dict[str, Metric], run_dir: Path, progress: bool) -> None:
        spec = loaded.spec
        self._created = datetime.now(UTC).isoformat(timespec="seconds")
        self.loaded = loaded
        self.spec = spec
        self.project = project
        self.catalog = catalog
        self.dataset = dataset
        self.items = list(dataset.items[:spec.limit] if spec.limit else dataset.items)
        self.targets = targets
        self.metrics = metrics
        self.run_dir = run_dir
        self.progress = progress
        concurrency = spec.concurrency or project.evals.concurrency
        self.concurrency = concurrency
        self.calls = CallService(catalog, ResponseCache(project.cache_dir), Budget(spec.budget_usd),
                                 concurrency)
        self.ctx = MetricContext(judge=self._judge, embed=self._embed,
                                 default_judge_model=spec.judge_model or project.evals.judge_model,
                                 default_embedding_model=project.evals.embedding_model,
                                 privacy_config=project.privacy)
        self.records: list[SampleRecord] = []
        self.embed_lock = asyncio.Lock()
        for target in targets:
            if isinstance(target, RagTarget):
                target.embed_lock = self.embed_lock

    async def _judge(self, model: str, request: ChatRequest) -> Completion | None:
        outcome = await self.calls.call(model, request, 0)
        return outcome.completion

    async def _embed(self, model: str, texts: list[str]) -> list[list[float]]:
        async with self.embed_lock:
            result = await self.catalog.embedding_model(model).embed(texts)
        return result.vectors

    async def _score(self, item: EvalItem, output: SampleOutput) -> dict[str, dict[str, Any]]:
        scores: dict[str, dict[str, Any]] = {}
        for key, metric in self.metrics.items():
            try:
                result = await metric.score(item, output, self.ctx)
            except Exception as exc:  # noqa: BLE001 - one broken metric must not lose the sample
                result = MetricResult(None, "error", _error_text(exc))
            scores[key] = result.to_json()
        return scores

    async def run_one(self, item: EvalItem, target: Target, sample: int) -> SampleRecord:
        rec = SampleRecord(item_id=item.id, target=target.label, sample=sample, status="ok",
                           segment=item.segment, sensitive=item.sensitive)
        try:
            planned = await target.plan(item, sample)
            rec.model = planned.model
            spec = self.catalog.spec(planned.model, resolve_secret=False)
            rec.model_id, rec.locality = spec.model_id, spec.locality
            rec.route_reasons = list(planned.route_reasons)
            rec.sensitive = item.sensitive or bool(planned.extra.get("sensitive"))
            rec.retrieved = [{"number": c.number, "path": c.path, "chunk_id": c.chunk_id} for c in planned.retrieved]
            outcome = (CallOutcome(planned.answer) if planned.answer is not None
                       else await self.calls.call(planned.model, planned.request, sample))
        except Exception as exc:  # noqa: BLE001 - any failure is this item's error; the run goes on
            rec.status, rec.error = "error", _error_text(exc)
            return rec
        completion = outcome.completion
        if completion is None:
            rec.status = "skipped_budget"
            return rec
        rec.output = completion.text
        rec.model_id = completion.model or rec.model_id
        rec.latency_s = completion.latency_s
        rec.prompt_tokens = completion.usage.prompt_tokens
        rec.completion_tokens = completion.usage.completion_tokens
        rec.cost_usd = completion.cost_usd
        rec.cached = outcome.cached
        rec.spent_usd = 0.0 if outcome.cached else completion.cost_usd
        output = SampleOutput(text=completion.text, retrieved=planned.retrieved, is_rag=planned.is_rag,
                              context=planned.context)
        rec.scores = await self._score(item, output)
        return rec

    async def execute(self) -> RunResult:
        jobs: asyncio.Queue[tuple[EvalItem, Target, int]] = asyncio.Queue()
        for item in self.items:
            for target in self.targets:
                for s in range(self.spec.samples):
                    jobs.put_nowait((item, target, s))
        total = jobs.qsize()
        progress_bar: Any = None
        task_id: Any = None
        if self.progress:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            progress_bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                    TextColumn("{task.fields[status]}"), TimeRemainingColumn(),
                                    console=Console(stderr=True))
            task_id = progress_bar.add_task(self.spec.name, total=total, status="")
            progress_bar.start()
        partial = (self.run_dir / store.RESULTS).open("w", encoding="utf-8")

        async def worker() -> None:
            while True:
                try:
                    item, target, s = jobs.get_nowait()
                except asyncio.QueueEmpty:
                    return
                rec = await self.run_one(item, target, s)
                self.records.append(rec)
                partial.write(json.dumps(rec.to_json(), ensure_ascii=False) + "\n")
                partial.flush()
                if progress_bar is not None:
                    status = (f"${self.calls.budget.spent:.4f} · {self.calls.fresh_calls} calls · "
                              f"{self.calls.cache_hits} cached")
                    progress_bar.update(task_id, advance=1, status=status)

        interrupted = True
        try:
            # Workers beyond the call limit keep retrieval/scoring busy while calls wait their turn.
            await asyncio.gather(*(worker() for _ in range(min(total, self.concurrency * 2) or 1)))
            interrupted = False
        finally:
            partial.close()
            if progress_bar is not None:
                progress_bar.stop()
            result = self._finish(interrupted)
        return result

    def _finish(self, interrupted: bool) -> RunResult:
        order = {it.id: i for i, it in enumerate(self.items)}
        t_order = {t.label: i for i, t in enumerate(self.targets)}
        self.records.sort(key=lambda r: (order.get(r.item_id, 0), t_order.get(r.target, 0), r.sample))
        store.write_results(self.run_dir, self.records)
        groups: dict[str, str] = {key: str(m.group) for key, m in self.metrics.items()}
        quality_keys = self.spec.quality or [k for k, g in groups.items() if g == "quality"]
        summaries = [summarize_target(t.label, t.kind, self.records, self.items, groups, quality_keys)
                     for t in self.targets]
        target_spent = sum(r.spent_usd for r in self.records)
        summary = RunSummary(
            run_id=self.run_dir.name, spec_name=self.spec.name, dataset=str(self.dataset.path),
            dataset_digest=self.dataset.digest, n_items=len(self.items), samples=self.spec.samples,
            created=self._created, finished=datetime.now(UTC).isoformat(timespec="seconds"),
            budget_usd=self.spec.budget_usd, spent_usd=self.calls.budget.spent,
            judge_spent_usd=max(0.0, self.calls.budget.spent - target_spent), fresh_calls=self.calls.fresh_calls,
            cache_hits=self.calls.cache_hits, skipped_budget=sum(r.status == "skipped_budget" for r in self.records),
            interrupted=interrupted, dataset_issues=[str(i) for i in self.dataset.issues],
            quality_metrics=list(quality_keys), metric_groups=groups,
            requirements=self.spec.requirements.model_dump(), targets=summaries)
        store.write_summary(self.run_dir, summary)
        store.write_per_item(self.run_dir, self.items, self.records, [t.label for t in self.targets], quality_keys)
        return RunResult(self.run_dir, summary, self.records, self.items)


def _override_targets(loaded: LoadedSpec, models: Sequence[str] | None, dataset: str | Path | None) -> LoadedSpec:
    spec = loaded.spec
    if models:
        spec = spec.model_copy(update={"targets": [TargetConfig(model=m) for m in models]})
    if dataset is not None:
        spec = spec.model_copy(update={"dataset": str(Path(dataset).resolve())})
    if spec is loaded.spec:
        return loaded
    return LoadedSpec(spec, loaded.path, loaded.raw_text)


async def arun_eval(spec: LoadedSpec | str | Path, project: EvalProject, catalog: Catalog, *,
                    run_id: str | None = None, progress: bool = False, report: bool = True,
                    models: Sequence[str] | None = None, dataset: str | Path | None = None) -> RunResult:
    """Run a spec and store it under ``runs_dir/<run id>``.

    ``models`` replaces the spec's targets with these configured models and ``dataset`` replaces
    its dataset (e.g. a held-out split) — what a promotion gate needs. ``report`` writes report.html.
    """
    loaded = spec if isinstance(spec, LoadedSpec) else load_spec(spec)
    loaded = _override_targets(loaded, models, dataset)
    data = load_dataset(loaded.dataset_path)
    targets = build_targets(loaded.spec, project, catalog, loaded.source)
    metrics = {m.key: build_metric(m, loaded.source, i) for i, m in enumerate(loaded.spec.metrics)}
    run_dir = store.new_run_dir(project.runs_dir, loaded.spec.name, run_id)
    (run_dir / store.SPEC).write_text(loaded.raw_text, encoding="utf-8")
    store.write_items(run_dir, data.items[:loaded.spec.limit] if loaded.spec.limit else data.items)
    run = _Run(loaded, project, catalog, data, targets, metrics, run_dir, progress)
    result = await run.execute()
    if report:
        from shoal.evals.report_html import write_html_report

        write_html_report(result.run_dir, result.summary, result.records, result.items)
    return result


def run_eval(spec: LoadedSpec | str | Path, project: EvalProject, catalog: Catalog, **kwargs: Any) -> RunResult:
    """Synchronous ``arun_eval`` for scripts and CLIs (refuses inside a running event loop)."""
    from shoal.models.base import run_sync

    async def _go() -> RunResult:
        try:
            return await arun_eval(spec, project, catalog, **kwargs)
        finally:
            await catalog.aclose()

    result: RunResult = run_sync(_go())
    return result


def load_run(runs_dir: Path, run: str) -> RunResult:
    """Read a stored run back (summary, records and the items as they were recorded); ``run`` is an
    id under ``runs_dir``, ``latest`` or a run directory."""
    run_dir = store.resolve_run(runs_dir, run)
    summary = store.read_summary(run_dir)
    records = store.read_results(run_dir)
    items = store.read_items(run_dir)
    return RunResult(run_dir, summary, records, items)


__all__ = ["EvalProject", "RunResult", "arun_eval", "load_run", "run_eval"]
