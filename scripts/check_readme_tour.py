#!/usr/bin/env python3
"""Run the README's tour verbatim in a fresh copy of the repository, and say which command failed.

    python scripts/check_readme_tour.py                     # shoal from .venv/bin, else from PATH
    python scripts/check_readme_tour.py --python .venv/bin/python --keep

The copy holds the files git tracks (what a fresh clone has: no .shoal/, no ../shared). Every
```bash block under "## A short tour" runs in order in one folder, as one reader would type them
(state carries over: `shoal init` before `shoal models`, ingest before search). Markers in a
command's trailing comment:

- ``needs KEY_NAME`` — needs an API key: skipped unless that variable is set;
- ``interactive`` — waits for a person (a REPL, a review prompt): skipped;
- ``runs until stopped`` — a server: started in the background, checked with ``/healthz``, stopped.

The command runs with ``shoal`` resolved to the copy's own sources (``python -m shoal.cli`` with
PYTHONPATH=<copy>/src), so the check tests the tree, not whatever is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOUR = "## A short tour"
_NEEDS = re.compile(r"\bneeds ([A-Z][A-Z0-9_]*_KEY)\b")


@dataclass(frozen=True)
class Command:
    text: str  # as written (continuations joined)
    comment: str
    section: str
    skip: str = ""  # why the whole block is not run (a ``<!-- tour-check: skip REASON -->`` before it)


def tour_commands(readme: str) -> list[Command]:
    """The tour's bash commands, in order; comments kept apart (they carry the markers)."""
    start = readme.index(TOUR)
    end = readme.find("\n## ", start + len(TOUR))
    body = readme[start:end if end >= 0 else None]
    out: list[Command] = []
    section = ""
    skip = ""
    for block in re.finditer(r"^(#{3,4} [^\n]*)$|^<!-- tour-check: skip ([^\n]*?) -->$|^```bash\n(.*?)^```", body, re.MULTILINE | re.DOTALL):
        if block.group(1):
            section, skip = block.group(1).lstrip("# ").strip(), ""
            continue
        if block.group(2):
            skip = block.group(2).strip()
            continue
        pending = ""
        for raw in block.group(3).splitlines():
            line = raw.rstrip()
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            full = pending + line
            pending = ""
            code, comment = _split_comment(full)
            out.append(Command(code.strip(), comment, section, skip))
        skip = ""
    return out


def _split_comment(line: str) -> tuple[str, str]:
    """Split at the first ``#`` that starts a shell comment (after a space, not inside quotes)."""
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i], line[i + 1:].strip()
    return line, ""


def fresh_copy(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    repo = dest / "shoal"
    for name in files.decode().split("\0"):
        if not name:
            continue
        src = ROOT / name
        if not src.is_file():  # deleted in the work tree but still tracked
            continue
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return repo


def shim(bin_dir: Path, python: str, repo: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "shoal"
    script.write_text(f'#!/bin/sh\nPYTHONPATH={shlex.quote(str(repo / "src"))} exec {shlex.quote(python)} '
                      f'-m shoal.cli "$@"\n')
    script.chmod(0o755)


def wait_healthy(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_python = ROOT / ".venv" / "bin" / "python"
    parser.add_argument("--python", default=str(default_python) if default_python.exists() else sys.executable,
                        help="the interpreter Shoal is installed in (default: .venv/bin/python, else this one)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one command may take")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (its path is printed)")
    parser.add_argument("--list", action="store_true", help="only list the commands and what would be skipped")
    args = parser.parse_args()

    commands = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    if args.list:
        for c in commands:
            print(f"[{c.section}] {c.text}" + (f"   # {c.comment}" if c.comment else "")
                  + (f"   (skipped: {c.skip})" if c.skip else ""))
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="shoal-tour-"))
    repo = fresh_copy(tmp)
    shim(tmp / "bin", args.python, repo)
    env = {k: v for k, v in os.environ.items() if k not in ("SHOAL_CONFIG", "PYTHONPATH")}
    env["PATH"] = f"{tmp / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("HF_HUB_OFFLINE", "1")
    # One shell for the whole tour, so `export` and `cd` carry over as they would for a reader.
    state = tmp / "env.sh"
    state.write_text("")
    failures: list[str] = []
    background: list[subprocess.Popen[bytes]] = []
    print(f"fresh copy: {repo}")
    try:
        for c in commands:
            if c.skip:
                print(f"SKIP  {c.text}   ({c.skip})")
                continue
            needs = _NEEDS.search(c.comment)
            if needs and not env.get(needs.group(1)):
                print(f"SKIP  {c.text}   (needs {needs.group(1)})")
                continue
            if "interactive" in c.comment:
                print(f"SKIP  {c.text}   (interactive)")
                continue
            script = f"source {shlex.quote(str(state))}\n{c.text}\nexport -p > {shlex.quote(str(state))}\n"
            start = time.monotonic()
            if "runs until stopped" in c.comment:
                port = re.search(r"--port (\d+)", c.text)
                proc = subprocess.Popen(["bash", "-c", f"source {shlex.quote(str(state))}\nexec {c.text}"],
                                        cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        start_new_session=True)
                background.append(proc)
                ok = wait_healthy(int(port.group(1)) if port else 8080, min(args.timeout, 120))
                print(f"{'ok  ' if ok else 'FAIL'}  {c.text}   (server; /healthz {'answered' if ok else 'silent'}, "
                      f"{time.monotonic() - start:.1f} s)")
                if not ok:
                    failures.append(c.text)
                continue
            try:
                done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], check=False, cwd=repo, env=env,
                                      capture_output=True, text=True, timeout=args.timeout, stdin=subprocess.DEVNULL)
                rc, out = done.returncode, (done.stdout + done.stderr)
            except subprocess.TimeoutExpired as exc:
                rc, out = 124, f"timed out after {exc.timeout:.0f} s"
            took = time.monotonic() - start
            print(f"{'ok  ' if rc == 0 else 'FAIL'}  {c.text}   ({took:.1f} s)")
            if rc != 0:
                failures.append(c.text)
                print("      " + "\n      ".join(out.strip().splitlines()[-15:]))
    finally:
        for proc in background:
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{len(commands)} commands, {len(failures)} failed" + ("" if not args.keep else f"; copy kept in {repo}"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
