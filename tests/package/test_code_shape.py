"""The shape the code keeps: small modules, short functions, no import cycles
between modules (imports inside functions and under TYPE_CHECKING excepted)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "policyqa": ROOT / "policyqa",
    "policyqa.ingest": ROOT / "ingest",
    "policyqa.index": ROOT / "index",
    "policyqa.assistant": ROOT / "assistant",
    "policyqa.web": ROOT / "web",
    "policyqa.eval": ROOT / "eval",
}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

pytestmark = pytest.mark.unit


def modules() -> dict[str, Path]:
    out = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([package, *parts])] = path
    return out


def test_no_module_over_the_line_limit():
    long = {
        m: n
        for m, p in modules().items()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_over_the_line_limit():
    long = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = node.end_lineno - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name} ({size} lines)")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def _top_level_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of ours this module imports when it is imported."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in [node] if not isinstance(node, ast.If | ast.Try) else ast.walk(node):
            if isinstance(sub, ast.Import):
                out |= {a.name for a in sub.names}
            elif isinstance(sub, ast.ImportFrom):
                base = sub.module or ""
                if sub.level:
                    up = package.split(".")[: len(package.split(".")) - sub.level + 1]
                    base = ".".join(up + ([sub.module] if sub.module else []))
                out.add(base)
                out |= {f"{base}.{a.name}" for a in sub.names}
    return {m for m in out if m in known and m != name}


def test_no_import_cycles():
    mods = modules()
    graph = {name: _top_level_imports(name, path, set(mods)) for name, path in mods.items()}
    # a package's __init__ runs before its submodules: importing a.b imports a
    for name in list(graph):
        parent = name.rsplit(".", 1)[0]
        if parent in graph and parent != name:
            graph[name].add(parent)
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, f"import cycles: {cycles[:5]}"
