"""Imports point one way: no arrow from a lower layer to an upper one, no cycle — not even inside
a function or under ``TYPE_CHECKING``.

The layers are the package table of ARCHITECTURE.md (bottom first). Every ``import`` statement of
every module under ``src/shoal`` is read with ``ast`` (wherever it sits), resolved to the module it
names, and checked. ``KNOWN`` would list arrows that still break the rule; it is empty and may only
shrink — a listed arrow that no longer exists fails the test too, so the list stays true. A
separate check keeps the whole ``Settings`` (even untyped) out of every layer below the wiring.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# package (first name under shoal) → layer. Same layer = "beside": allowed, but never in a cycle.
LAYERS: dict[str, int] = {
    "errors": 0, "principal": 0, "paths": 0, "_version": 0,
    "models": 1,
    "catalog": 2, "catalog_data": 2, "privacy": 2, "store": 2,
    "routing": 3, "rag": 3,
    "pipeline": 4, "recording": 4, "content_log": 4,
    "evals": 5, "costs": 5,
    "feedback": 6, "tuning": 6,
    "config": 7, "wiring": 7, "client": 7,
    "gateway": 8, "cli": 8, "testing": 8, "testing_plugin": 8, "__init__": 8,
}
# Where the table narrows "may import" below the general rule (privacy and store: layer 0 only).
MAY_IMPORT: dict[str, set[str]] = {
    "errors": set(), "principal": set(), "_version": set(), "paths": {"errors"},
    "privacy": {"errors", "principal", "paths"},
    "store": {"errors", "principal", "paths"},
}
# Each package's own config section (``shoal.<pkg>.config``) is a schema leaf: it imports only
# pydantic, layers 0–1 (errors, plain model types), its own package and other sections, so the file schema
# (layer 7) may assemble it from any package, the gateway's included.
SECTION_MAX_LAYER = 1

# Arrows that break the rule today, as (importer package, imported package). Only ever remove.
KNOWN: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The shoal modules ``name`` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            subs = [f"{module}.{a.name}" for a in node.names]
            targets = [t for t in subs if t in modules]
            if len(targets) < len(subs):  # some names are attributes of ``module`` itself
                targets.append(module)
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "import_module"):
            targets = [node.args[0].value]  # importlib.import_module("shoal.x") is an import too
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith("shoal") and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_section(module: str) -> bool:
    parts = module.split(".")
    return len(parts) == 3 and parts[2] == "config"


def _violations(graph: dict[str, set[str]]) -> dict[tuple[str, str], list[str]]:
    bad: dict[tuple[str, str], list[str]] = defaultdict(list)
    for importer, targets in graph.items():
        src = _package(importer)
        for target in targets:
            dst = _package(target)
            if src == dst:
                continue
            if _is_section(target):
                continue  # a config section is a schema leaf (checked separately below)
            allowed = dst in MAY_IMPORT[src] if src in MAY_IMPORT else LAYERS[dst] <= LAYERS[src]
            if not allowed:
                bad[(src, dst)].append(f"{importer} → {target}")
    return bad


def _cycles(nodes: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(nodes.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(nodes.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_every_package_has_a_layer() -> None:
    missing = sorted({_package(m) for m in _graph()} - set(LAYERS))
    assert not missing, f"add these packages to LAYERS (and to ARCHITECTURE.md's table): {missing}"


def test_no_import_points_up_a_layer() -> None:
    bad = _violations(_graph())
    new = {k: v for k, v in bad.items() if k not in KNOWN}
    assert not new, "imports from a lower layer to an upper one:\n" + "\n".join(
        f"  {src} → {dst}: {', '.join(sorted(v)[:4])}" for (src, dst), v in sorted(new.items()))
    gone = sorted(KNOWN - set(bad))
    assert not gone, f"these KNOWN arrows are gone — remove them from the list: {gone}"


def test_config_sections_are_schema_leaves() -> None:
    graph = _graph()
    for module, targets in graph.items():
        if _is_section(module):
            wrong = sorted(t for t in targets if LAYERS[_package(t)] > SECTION_MAX_LAYER and not _is_section(t)
                           and _package(t) != _package(module))
            assert not wrong, f"{module} is a config section and may import only layers 0-1: {wrong}"


def test_no_import_cycles_between_modules() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles (including imports inside functions):\n" + "\n".join(
        "  " + " ↔ ".join(c) for c in cycles)


def test_no_import_cycles_between_packages() -> None:
    packages: dict[str, set[str]] = defaultdict(set)
    for importer, targets in _graph().items():
        for target in targets:
            if _package(importer) != _package(target) and not _is_section(target):
                packages[_package(importer)].add(_package(target))
    cycles = _cycles(dict(packages))
    assert not cycles, "packages importing each other: " + "; ".join(" ↔ ".join(c) for c in cycles)


def _takes_settings(path: Path) -> list[str]:
    """Functions with a ``settings`` parameter, and any use of the name ``Settings``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            if any(a.arg == "settings" for a in args):
                found.append(f"{node.name}(settings)")
        elif isinstance(node, ast.Name) and node.id == "Settings":
            found.append(f"Settings (line {node.lineno})")
    return found


def test_only_the_wiring_layers_take_the_whole_settings() -> None:
    # Below layer 7 a component gets its own config section and explicit paths (shoal.paths.Paths).
    # The import rule already keeps shoal.config out; this also catches the whole config passed in
    # untyped (``settings: Any``) and read by duck typing.
    bad = {name: found for name, path in _modules().items()
           if LAYERS[_package(name)] < LAYERS["wiring"] and (found := _takes_settings(path))}
    assert not bad, f"lower layers handed the whole Settings: {bad}"


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    # The rule is only as good as the parser: a function-level import must count.
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from shoal.gateway import app\n    import shoal.cli\n"
                    "    importlib.import_module('shoal.wiring')\n", encoding="utf-8")
    mods = {"shoal.store.m": path, "shoal.gateway.app": path, "shoal.cli": path, "shoal.wiring": path}
    assert _imports("shoal.store.m", path, mods) == {"shoal.gateway.app", "shoal.cli", "shoal.wiring"}
    assert _violations({"shoal.store.m": {"shoal.gateway.app"}}) == {
        ("store", "gateway"): ["shoal.store.m → shoal.gateway.app"]}
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    loose = tmp_path / "loose.py"
    loose.write_text("def open_it(settings: Any, *, create: bool) -> None:\n    x: Settings\n", encoding="utf-8")
    assert _takes_settings(loose) == ["open_it(settings)", "Settings (line 2)"]
