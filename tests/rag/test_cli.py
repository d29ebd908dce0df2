"""`shoal ingest` and `shoal search` end to end through click, as a user would run them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from shoal.cli import cli

CONFIG = {
    "data_dir": ".shoal",
    "models": {"minilm": {"provider": "testing", "kind": "embedding", "options": {"dim": 64}}},
    "rag": {"rules": [{"glob": "hr/**", "label": "confidential", "groups": ["hr"]}]},
}
SECRET = "Salary band for engineers is 95000 dollars"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "shoal.yaml").write_text(yaml.safe_dump(CONFIG))
    docs = tmp_path / "docs"
    (docs / "hr").mkdir(parents=True)
    (docs / "hr" / "salaries.md").write_text(f"# Salaries\n## Bands\n{SECRET}.\n")
    (docs / "leave.md").write_text("# Leave\n## Annual\nEmployees get twenty five days of annual leave.\n")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOAL_CONFIG", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_ingest_summary_then_search_with_acl(project: Path) -> None:
    code, out = run("ingest", "docs", "--no-progress")
    assert code == 0, out
    assert "3 files · 2 ingested" in out and "2 chunks written" in out
    assert "skipped docs/broken.pdf: cannot parse PDF" in out
    code, out = run("ingest", "docs", "--no-progress")
    assert "0 ingested · 2 unchanged" in out
    code, out = run("search", "salary", "band", "engineers", "--json")
    assert code == 0 and SECRET not in out and "salaries" not in out
    code, out = run("search", "salary", "band", "engineers", "--as-user", "ann", "--groups", "hr", "--json", "-k", "1")
    hit = json.loads(out.splitlines()[0])
    assert (hit["path"], hit["section"], hit["label"]) == ("docs/hr/salaries.md", "Bands", "confidential")
    assert SECRET in hit["text"]
    code, out = run("search", "annual", "leave")
    assert code == 0 and "Leave" in out and "confidential" not in out


def test_search_without_index_explains(project: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "anything"])
    assert result.exit_code != 0 and "shoal ingest" in result.output


def test_prune_flag(project: Path) -> None:
    run("ingest", "docs", "--no-progress")
    (project / "docs" / "leave.md").unlink()
    code, out = run("ingest", "docs", "--prune", "--no-progress")
    assert code == 0 and "removed docs/leave.md" in out
