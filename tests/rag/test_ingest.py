"""Ingest: rules, labels, incremental re-ingest, prune, skipped files, atomic writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shoal.config import Settings
from shoal.principal import Principal
from shoal.rag.ingest import Ingestor, glob_match
from shoal.rag.search import Searcher
from shoal.wiring import catalog as build_catalog
from shoal.wiring import document_store

from .conftest import make_settings
from .files import write_pdf


def make_tree(root: Path) -> Path:
    docs = root / "docs"
    (docs / "hr").mkdir(parents=True)
    (docs / "policies").mkdir()
    (docs / "hr" / "salaries.md").write_text("# Salaries\nSalary band for engineers is 95000 dollars.\n")
    (docs / "policies" / "leave.md").write_text("# Leave\nEmployees get twenty five days of annual leave.\n")
    (docs / "policies" / "notes.txt").write_text("Parking is free on weekends.\n")
    (docs / "empty.md").write_text("")
    write_pdf(docs / "policies" / "report.pdf", ["Quarterly revenue grew nine percent."])
    return docs


def ingest(settings: Settings, *paths: Path, **kw: object) -> object:
    store = document_store(settings)
    assert store is not None
    try:
        return Ingestor(settings.config.rag, settings.base_dir, store, build_catalog(settings, check=False).embedding_model("minilm")).run(list(paths), **kw)  # type: ignore[arg-type]
    finally:
        store.close()


def paths_for(settings: Settings, query: str, principal: Principal | None = None) -> list[str]:
    searcher = Searcher(settings.config.rag, settings.paths, build_catalog(settings, check=False))
    try:
        return [h.chunk.path for h in searcher.search(query, principal or Principal(), k=10)]
    finally:
        searcher.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, rules=[{"glob": "hr/**", "label": "confidential", "groups": ["hr"]}])


def test_ingest_applies_rules_and_reports(settings: Settings, tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    summary = ingest(settings, docs, groups=None)
    assert summary.files == 5 and summary.ingested == 4 and summary.chunks == 4  # type: ignore[attr-defined]
    assert summary.skipped == [("docs/empty.md", "no text found (empty, or only front matter/markup)")]  # type: ignore[attr-defined]
    store = document_store(settings)
    assert store is not None
    by_path = {d.path: d for d in store.documents().values()}
    store.close()
    assert (by_path["docs/hr/salaries.md"].label, by_path["docs/hr/salaries.md"].groups) == ("confidential", ("hr",))
    assert (by_path["docs/policies/leave.md"].label, by_path["docs/policies/leave.md"].groups) == ("internal", ())
    assert "docs/hr/salaries.md" not in paths_for(settings, "salary band engineers")
    assert paths_for(settings, "salary band engineers", Principal.of("ann", "hr"))[0] == "docs/hr/salaries.md"
    assert paths_for(settings, "quarterly revenue")[0] == "docs/policies/report.pdf"


def test_command_line_label_and_groups_rules_win(settings: Settings, tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    ingest(settings, docs, label="public", groups=["staff"])
    store = document_store(settings)
    assert store is not None
    by_path = {d.path: d for d in store.documents().values()}
    store.close()
    assert (by_path["docs/policies/leave.md"].label, by_path["docs/policies/leave.md"].groups) == ("public", ("staff",))
    assert by_path["docs/hr/salaries.md"].label == "confidential"  # the rule is policy: a flag cannot lower it
    assert by_path["docs/hr/salaries.md"].groups == ("hr",)


def test_incremental_skip_change_and_prune(settings: Settings, tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    ingest(settings, docs)
    again = ingest(settings, docs)
    assert (again.ingested, again.unchanged, again.chunks) == (0, 4, 0)  # type: ignore[attr-defined]
    (docs / "policies" / "leave.md").write_text("# Leave\nEmployees now get thirty days of annual leave.\n")
    changed = ingest(settings, docs)
    assert (changed.ingested, changed.unchanged) == (1, 3)  # type: ignore[attr-defined]
    searcher = Searcher(settings.config.rag, settings.paths, build_catalog(settings, check=False))
    texts = [h.chunk.text for h in searcher.search("annual leave days", Principal(), k=10)]
    searcher.close()
    assert any("thirty days" in t for t in texts) and not any("twenty five" in t for t in texts)
    (docs / "policies" / "notes.txt").unlink()
    kept = ingest(settings, docs)  # without --prune the stale document stays
    assert kept.removed == []  # type: ignore[attr-defined]
    pruned = ingest(settings, docs, prune=True)
    assert pruned.removed == ["docs/policies/notes.txt"]  # type: ignore[attr-defined]
    assert "docs/policies/notes.txt" not in paths_for(settings, "parking weekends")


def test_prune_keeps_documents_from_other_roots(settings: Settings, tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "faq.md").write_text("# FAQ\nThe cafeteria opens at eight.\n")
    ingest(settings, docs)
    ingest(settings, other)
    summary = ingest(settings, docs, prune=True)
    assert summary.removed == []  # type: ignore[attr-defined]
    assert paths_for(settings, "cafeteria opens")[0] == "other/faq.md"


def test_relabel_by_rule_change_reingests(tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    open_settings = make_settings(tmp_path)
    ingest(open_settings, docs)
    assert paths_for(open_settings, "salary band engineers")[0] == "docs/hr/salaries.md"
    strict = make_settings(tmp_path, rules=[{"glob": "hr/*.md", "label": "restricted", "groups": ["hr"]}])
    summary = ingest(strict, docs)
    assert summary.ingested == 1  # type: ignore[attr-defined]
    assert "docs/hr/salaries.md" not in paths_for(strict, "salary band engineers")


def test_missing_path_and_unsupported_file_are_reported(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    summary = ingest(settings, tmp_path / "nope", tmp_path / "a.png")
    assert summary.skipped == [(str(tmp_path / "nope"), "no such file or folder"),  # type: ignore[attr-defined]
                               (str(tmp_path / "a.png"), "unsupported file type .png")]


def test_confidential_without_groups_warns(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    (tmp_path / "c.md").write_text("# C\nMerger plans.\n")
    summary = ingest(settings, tmp_path / "c.md", label="confidential")
    assert any("visible to nobody" in w for w in summary.warnings)  # type: ignore[attr-defined]


def test_failed_document_write_leaves_previous_version(settings: Settings, tmp_path: Path) -> None:
    """A write that fails inside the transaction (here: a duplicate chunk id) is rolled back whole."""
    from dataclasses import replace

    from .conftest import make_doc

    store = document_store(settings)
    assert store is not None
    doc, chunks = make_doc("docs/a.md", ["First version text about badges."])
    store.upsert(doc, chunks, embedder="minilm")
    doc2, chunks2 = make_doc("docs/a.md", ["Second version one.", "Second version two."], version="v2")
    broken = [chunks2[0], replace(chunks2[1], chunk_id=chunks2[0].chunk_id)]
    with pytest.raises(sqlite3.IntegrityError):
        store.upsert(doc2, broken, embedder="minilm")
    from shoal.testing.document_store import EVERYONE

    hits = store.search("version badges", None, 10, access=EVERYONE, mode="bm25")
    assert [h.chunk.text for h in hits] == ["First version text about badges."]
    assert store.documents()[doc.doc_id].version == "v1"
    store.close()


def test_glob_rules() -> None:
    assert glob_match("hr/**", "hr/a/b.md") and glob_match("hr/**", "hr/x.md")
    assert not glob_match("hr/**", "shr/x.md")
    assert glob_match("**/secret-*.md", "a/b/secret-1.md") and glob_match("**/secret-*.md", "secret-2.md")
    assert glob_match("*.pdf", "x.pdf") and not glob_match("*.pdf", "a/x.pdf")


def labels_by_path(settings: Settings) -> dict[str, tuple[str, tuple[str, ...]]]:
    store = document_store(settings)
    assert store is not None
    try:
        return {d.path: (d.label, d.groups) for d in store.documents().values()}
    finally:
        store.close()


@pytest.mark.parametrize("subset", ["docs/hr/salaries.md", "docs/hr", "docs"])
def test_reingesting_a_subset_keeps_labels_and_groups(settings: Settings, tmp_path: Path, subset: str) -> None:
    """The rule `hr/**` is anchored to the collection root (docs/), not to the folder given this time."""
    docs = make_tree(tmp_path)
    ingest(settings, docs)
    before = labels_by_path(settings)
    assert before["docs/hr/salaries.md"] == ("confidential", ("hr",))
    summary = ingest(settings, tmp_path / subset)
    assert summary.relabelled == []  # type: ignore[attr-defined]
    assert summary.roots == ["docs"]  # type: ignore[attr-defined]
    assert labels_by_path(settings) == before
    assert "docs/hr/salaries.md" not in paths_for(settings, "salary band engineers")


def test_subset_with_changed_content_keeps_labels(settings: Settings, tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    ingest(settings, docs)
    (docs / "hr" / "salaries.md").write_text("# Salaries\nSalary band for engineers is 99000 dollars.\n")
    summary = ingest(settings, docs / "hr" / "salaries.md")
    assert (summary.ingested, summary.relabelled) == (1, [])  # type: ignore[attr-defined]
    assert labels_by_path(settings)["docs/hr/salaries.md"] == ("confidential", ("hr",))
    assert paths_for(settings, "salary band engineers", Principal.of("ann", "hr"))[0] == "docs/hr/salaries.md"
    assert "docs/hr/salaries.md" not in paths_for(settings, "salary band engineers")


def test_root_survives_reopening_and_new_folders_get_their_own(settings: Settings, tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    other = tmp_path / "other" / "hr"
    other.mkdir(parents=True)
    (other / "plan.md").write_text("# Plan\nHiring plan for next year.\n")
    ingest(settings, docs / "policies")  # first ingest: docs/policies is the root
    summary = ingest(settings, tmp_path / "other")  # outside every root: a second root
    assert summary.roots == ["other"]  # type: ignore[attr-defined]
    assert labels_by_path(settings)["other/hr/plan.md"] == ("confidential", ("hr",))
    ingest(settings, tmp_path / "other" / "hr" / "plan.md")
    assert labels_by_path(settings)["other/hr/plan.md"] == ("confidential", ("hr",))
    store = document_store(settings)
    assert store is not None
    assert store.roots() == ((docs / "policies").resolve().as_posix(), (tmp_path / "other").resolve().as_posix())
    store.close()


def test_label_change_on_reingest_is_reported(tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    ingest(make_settings(tmp_path), docs)
    strict = make_settings(tmp_path, rules=[{"glob": "hr/**", "label": "restricted", "groups": ["hr"]}])
    summary = ingest(strict, docs / "hr")
    assert summary.relabelled == [("docs/hr/salaries.md", "internal (no groups)",  # type: ignore[attr-defined]
                                   "restricted (groups: hr)")]


def test_cli_prints_relabel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml
    from click.testing import CliRunner

    from shoal.cli import cli

    make_tree(tmp_path)
    config = {"data_dir": ".shoal", "models": {"minilm": {"provider": "testing", "kind": "embedding",
                                                          "options": {"dim": 64}}}}
    (tmp_path / "shoal.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOAL_CONFIG", raising=False)
    out = CliRunner().invoke(cli, ["ingest", "docs", "--no-progress"], catch_exceptions=False).output
    assert "relabelled" not in out and "relative to docs" in out
    config["rag"] = {"rules": [{"glob": "hr/**", "label": "confidential", "groups": ["hr"]}]}
    (tmp_path / "shoal.yaml").write_text(yaml.safe_dump(config))
    out = CliRunner().invoke(cli, ["ingest", "docs/hr/salaries.md", "--no-progress"], catch_exceptions=False).output
    assert "relabelled docs/hr/salaries.md: internal (no groups) → confidential (groups: hr)" in out


def test_symlinks_are_skipped_and_reported_by_default(settings: Settings, tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd.md").write_text("# passwd\nroot:x:0:0:root:/root:/bin/bash\n")
    (docs / "policies" / "passwd.md").symlink_to(outside / "passwd.md")
    (docs / "policies" / "salaries.md").symlink_to(docs / "hr" / "salaries.md")  # inside, but a link
    (docs / "linked").symlink_to(outside, target_is_directory=True)
    summary = ingest(settings, docs)
    skipped = dict(summary.skipped)  # type: ignore[attr-defined]
    for name in ("policies/passwd.md", "policies/salaries.md", "linked"):
        assert "symbolic link, not followed" in skipped[str(docs / name)]
    assert not any("passwd" in p for p in labels_by_path(settings))
    assert not any("passwd" in p for p in paths_for(settings, "root bash"))
    explicit = ingest(settings, docs / "policies" / "passwd.md")
    assert "symbolic link, not followed" in dict(explicit.skipped)[str(docs / "policies" / "passwd.md")]  # type: ignore[attr-defined]


def test_follow_links_stays_inside_the_root(settings: Settings, tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd.md").write_text("# passwd\nroot:x:0:0:root:/root:/bin/bash\n")
    (docs / "policies" / "passwd.md").symlink_to(outside / "passwd.md")
    (docs / "linked").symlink_to(outside, target_is_directory=True)
    (docs / "loop").symlink_to(docs, target_is_directory=True)
    # A link inside the root that exposes a confidential file under a public folder: labelled by
    # where the file really is.
    (docs / "policies" / "pay.md").symlink_to(docs / "hr" / "salaries.md")
    summary = ingest(settings, docs, follow_links=True)
    skipped = dict(summary.skipped)  # type: ignore[attr-defined]
    assert "outside" in skipped[str(docs / "policies" / "passwd.md")]
    assert "outside" in skipped[str(docs / "linked")]
    labels = labels_by_path(settings)
    assert not any("passwd" in p or "pay.md" in p for p in labels)
    assert labels["docs/hr/salaries.md"] == ("confidential", ("hr",))
    assert not any("passwd" in p for p in paths_for(settings, "root bash"))
    assert "docs/hr/salaries.md" not in paths_for(settings, "salary band engineers")
    explicit = ingest(settings, docs / "policies" / "passwd.md", follow_links=True)
    assert "outside" in dict(explicit.skipped)[str(docs / "policies" / "passwd.md")]  # type: ignore[attr-defined]


def test_follow_links_includes_links_inside(settings: Settings, tmp_path: Path) -> None:
    docs = make_tree(tmp_path)
    shared = docs / "shared"
    shared.mkdir()
    (shared / "faq.md").write_text("# FAQ\nThe cafeteria opens at eight.\n")
    (docs / "policies" / "faq-link.md").symlink_to(shared / "faq.md")
    ingest(settings, docs, follow_links=True)
    assert [p for p in labels_by_path(settings) if "faq" in p] == ["docs/shared/faq.md"]


def test_index_file_is_owner_only(settings: Settings, tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        ingest(settings, make_tree(tmp_path))
    finally:
        os.umask(old)
    index = tmp_path / ".shoal" / "index" / "default"
    files = [p for p in index.iterdir() if p.name.startswith("index.sqlite3")]
    assert files and all(p.stat().st_mode & 0o777 == 0o600 for p in files)
