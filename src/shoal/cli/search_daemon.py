"""A per-project search daemon: keeps the config, the index and the query encoder loaded between
`shoal search` calls, so a call after the first is one socket round trip instead of ~1 s of imports.

The first `shoal search` of a project starts it (detached) and answers in-process; later calls
connect to its unix socket, in a 0700 folder of the user's own (``$XDG_RUNTIME_DIR/shoal`` or
``/tmp/shoal-<uid>``), named by the project's config file and its modification time — a changed
config gets a fresh daemon. The daemon re-opens an index whose files changed (a new ingest), and
exits after ``IDLE_S`` without a request. Anything unexpected (no socket support, a daemon that
does not answer) falls back to searching in-process: the daemon is a cache, never a dependency.
The caller's identity travels in the request exactly as the in-process search takes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shoal.rag.types import Hit

IDLE_S = 600.0
CONNECT_TIMEOUT_S = 0.2
ANSWER_TIMEOUT_S = 30.0
_MAX_REQUEST = 1 << 20


def runtime_dir() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "shoal" if base else Path("/tmp") / f"shoal-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise PermissionError(f"{folder} is not private to this user")
    return folder


def config_file(config_path: str | None) -> Path | None:
    """The config `load_settings` would read, found the same way, without importing it (that is the cost)."""
    raw = config_path or os.environ.get("SHOAL_CONFIG")
    if raw:
        return Path(raw).expanduser().resolve()
    here = Path("shoal.yaml")
    return here.resolve() if here.is_file() else None


def socket_path(config_path: str | None) -> Path:
    cfg = config_file(config_path)
    from shoal._version import __version__

    key = f"{cfg or Path.cwd().resolve()}|{cfg.stat().st_mtime_ns if cfg and cfg.is_file() else 0}|{__version__}"
    return runtime_dir() / f"search-{hashlib.sha256(key.encode()).hexdigest()[:16]}.sock"


# sun_path holds 108 bytes on Linux (104 on macOS) including the NUL: a longer socket path cannot be
# bound, and a daemon started there would die at once. Such a runtime folder searches in-process.
_MAX_SOCKET_PATH = 100


def _bind_path(path: Path) -> Path:
    """Where the daemon binds before renaming into place: same folder, so the rename is atomic."""
    return path.with_name(f"{path.stem}.{os.getpid()}")


def enabled() -> bool:
    """``SHOAL_SEARCH_DAEMON=0`` turns it off (the test plugin does, so tests leave no processes)."""
    return os.environ.get("SHOAL_SEARCH_DAEMON", "1") != "0" and hasattr(socket, "AF_UNIX")


def ask(config_path: str | None, request: dict[str, Any]) -> list[Hit] | str | None:
    """Hits from the running daemon, its error message (a str), or ``None`` when none answered
    (then one is started for the next call)."""
    try:
        path = socket_path(config_path)
    except OSError:
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(CONNECT_TIMEOUT_S)
            s.connect(str(path))
            s.settimeout(ANSWER_TIMEOUT_S)
            s.sendall(json.dumps(request).encode() + b"\n")
            reply = _read_line(s)
    except OSError:
        _start(config_path, path)
        return None
    try:
        answer = json.loads(reply)
    except ValueError:
        return None
    if not answer.get("ok"):
        return str(answer.get("error", "search failed"))
    return [_hit(h) for h in answer["hits"]]


def _read_line(s: socket.socket) -> bytes:
    buf = bytearray()
    while not buf.endswith(b"\n"):
        part = s.recv(65536)
        if not part:
            break
        buf += part
    return bytes(buf)


def _start(config_path: str | None, path: Path) -> None:
    if len(os.fsencode(path.with_name(f"{path.stem}.4194304"))) > _MAX_SOCKET_PATH:
        return
    with contextlib.suppress(OSError):
        path.unlink()  # a stale socket of a daemon that died
    cmd = [sys.executable, "-m", "shoal.cli.search_daemon", str(path)]
    if config_path:
        cmd.append(str(Path(config_path).expanduser().resolve()))
    with contextlib.suppress(OSError):
        subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)


def hit_json(hit: Hit) -> dict[str, Any]:
    chunk = asdict(hit.chunk)
    chunk.pop("vector", None)
    return {"chunk": chunk, "score": hit.score, "bm25_score": hit.bm25_score, "dense_score": hit.dense_score,
            "ranks": hit.ranks}


def _hit(data: dict[str, Any]) -> Hit:
    from shoal.rag.types import ChunkRecord, Hit

    chunk = dict(data["chunk"])
    chunk["groups"] = tuple(chunk.get("groups", ()))
    return Hit(ChunkRecord(**chunk), data["score"], data.get("bm25_score"), data.get("dense_score"),
               dict(data.get("ranks", {})))


# --- the daemon ----------------------------------------------------------------------------------


def _fingerprint(index_root: Path) -> tuple[tuple[str, int], ...]:
    """Modification times of the index files: a new ingest changes them, and the stores are re-opened."""
    if not index_root.is_dir():
        return ()
    return tuple(sorted((str(p), p.stat().st_mtime_ns) for p in index_root.rglob("*") if p.is_file()))


def serve(path: Path, config_path: str | None, idle_s: float = IDLE_S) -> None:
    import select

    from shoal.config import load_settings
    from shoal.principal import Principal
    from shoal.rag.search import Searcher
    from shoal.rag.types import Filters
    from shoal.wiring import catalog as build_catalog

    settings = load_settings(config_path)
    catalog = build_catalog(settings)
    searcher = Searcher(settings.config.rag, settings.paths, catalog)
    index_root = settings.paths.data_dir / "index"
    seen = _fingerprint(index_root)
    with contextlib.suppress(Exception):  # warm the encoder now, not on the first request
        searcher.search("warm up", Principal(), k=1)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = _bind_path(path)
    server.bind(str(tmp))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)  # appears only when ready: a client never connects to a half-started daemon
    inode = path.stat().st_ino
    server.listen(8)
    last = time.monotonic()
    try:
        while True:
            ready, _, _ = select.select([server], [], [], max(0.0, idle_s - (time.monotonic() - last)))
            if not ready:
                break
            conn, _ = server.accept()
            last = time.monotonic()
            with conn:
                conn.settimeout(ANSWER_TIMEOUT_S)
                try:
                    raw = _read_line(conn)
                    if len(raw) > _MAX_REQUEST:
                        raise ValueError("request too large")
                    req = json.loads(raw)
                    now = _fingerprint(index_root)
                    if now != seen:
                        searcher.close()
                        seen = now
                    reply = _search(searcher, req, Principal, Filters)
                except Exception as exc:  # noqa: BLE001 - one bad request must not stop the daemon
                    reply = {"ok": False, "error": str(exc)}
                with contextlib.suppress(OSError):
                    conn.sendall(json.dumps(reply).encode() + b"\n")
    finally:
        with contextlib.suppress(OSError):
            if path.stat().st_ino == inode:  # not the socket of a newer daemon that replaced ours
                path.unlink()
        server.close()
        searcher.close()


def _search(searcher: Any, req: dict[str, Any], principal_cls: Any, filters_cls: Any) -> dict[str, Any]:
    collection = req.get("collection")
    if searcher.store(collection) is None:
        return {"ok": False, "error": "no index yet: run `shoal ingest PATH` first"}
    labels, prefix = req.get("labels") or None, req.get("path_prefix")
    filters = filters_cls(labels=frozenset(labels) if labels else None, path_prefix=prefix) if labels or prefix else None
    hits = searcher.search(req["query"], principal_cls.of(req.get("user"), req.get("groups")), collection=collection,
                           k=req.get("k"), mode=req.get("mode", "hybrid"), filters=filters)
    return {"ok": True, "hits": [hit_json(h) for h in hits]}


if __name__ == "__main__":
    idle = float(os.environ.get("SHOAL_SEARCH_DAEMON_IDLE_S", IDLE_S))
    serve(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None, idle)
