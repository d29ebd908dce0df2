"""The README tour is runnable as written: no placeholders, commands that need a key say which,
and (slow) scripts/check_readme_tour.py runs it verbatim in a fresh copy of the repository."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_readme_tour", ROOT / "scripts" / "check_readme_tour.py")
assert _spec is not None and _spec.loader is not None
tour = importlib.util.module_from_spec(_spec)
sys.modules["check_readme_tour"] = tour
_spec.loader.exec_module(tour)

README = (ROOT / "README.md").read_text(encoding="utf-8")
PLACEHOLDER = re.compile(r"\.\.\.|…|\[--|\bRUN_[AB]\b|<[a-z_-]+>|\bREQUEST_ID\b|\.\./shared\b")


def test_tour_commands_have_no_placeholders_and_mark_what_needs_a_key() -> None:
    commands = tour.tour_commands(README)
    assert len(commands) >= 20
    run = [c for c in commands if not c.skip]
    for c in run:
        assert not PLACEHOLDER.search(c.text), f"not runnable as written: {c.text}"
        assert "../shared" not in c.text
    for c in commands:
        if re.search(r"--model (gpt|claude|gemini)", c.text):
            assert tour._NEEDS.search(c.comment), f"say which key this needs: {c.text}"


def test_comments_are_split_outside_quotes() -> None:
    assert tour._split_comment('shoal ask "What is # one?"  # note') == ('shoal ask "What is # one?"  ', "note")
    assert tour._split_comment("echo a#b") == ("echo a#b", "")


@pytest.mark.slow
def test_the_tour_runs_verbatim_in_a_fresh_copy() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_readme_tour.py"), "--python", sys.executable],
                          capture_output=True, text=True, timeout=3600, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
