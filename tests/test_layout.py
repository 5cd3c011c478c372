"""The house rules of the layout, checked on the source (``ast``, nothing imported).

* the pipeline is the layout: ``connectome -> models -> simulate -> observe ->
  features -> infer -> twin -> whatif -> report``; a stage never imports a
  later stage (not even at call time), nor a workflow or the CLI;
* no import cycles between the modules inside one stage package (call-time
  imports count: they go round the same circle, only later);
* no file in ``src`` over 650 lines.

Top-level modules (``errors``, ``_io``, ``_tree``, ...) are shared by every
stage; top-level packages that are not stages (``vep``, ``cli``, the
workflows) sit on top of the pipeline.

Known exceptions, owned by other branches, are listed in the allowlists below
with the reason; the integrator empties them as those branches land.  An entry
that is no longer needed fails too (entries for files this tree does not have
are skipped), so that the lists only ever shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = "braintwin"
STAGES = ("connectome", "models", "simulate", "observe", "features", "infer", "twin", "whatif", "report")
MAX_LINES = 650

# (importer module, imported module): stage-order violations still in the tree.
# Empty: add an entry only with the reason and the issue that removes it.
ALLOWED_LATER_IMPORTS: set[tuple[str, str]] = set()

# files over MAX_LINES (empty: split a file by concept before it grows past the limit).
ALLOWED_LONG_FILES: set[str] = set()

# import cycles inside a stage package, each as the sorted tuple of its modules.
# (empty: shared types go to a module of their own).
ALLOWED_CYCLES: set[tuple[str, ...]] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / PKG).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom, known) -> list[str]:
    """The modules an ``import``/``from ... import`` names (a submodule when the name is one)."""
    if node.level:
        base = module.split(".") if is_pkg else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
    return subs + ([target] if len(subs) < len(node.names) else [])


def _runtime_nodes(tree):
    """Every node except those under ``if TYPE_CHECKING:`` (imports for annotations only never run)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                todo.extend(child.orelse)
            else:
                todo.append(child)


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Every module's imports of braintwin modules, wherever they sit in the file (call-time included)."""
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        found = set()
        for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                found |= set(_resolve(name, is_pkg, node, modules))
        edges[name] = {m for m in found if m == PKG or m.startswith(PKG + ".")}
    return edges


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


@pytest.fixture(scope="module")
def graph():
    modules = _modules()
    return modules, _imports(modules)


def _later_imports(edges, packages: set[str]) -> set[tuple[str, str]]:
    """(importer, imported) pairs where a stage imports a later stage, a workflow or the CLI (``packages``: top-level packages)."""
    bad = set()
    for src, targets in edges.items():
        s = _stage(src)
        if s not in STAGES:
            continue  # workflows, the CLI and the package root sit on top
        for dst in targets:
            d = _stage(dst)
            if d is None:
                continue
            if d not in STAGES:
                if d in packages:  # a workflow or the CLI (top-level modules are shared)
                    bad.add((src, dst))
            elif STAGES.index(d) > STAGES.index(s):
                bad.add((src, dst))
    return bad


def _packages(modules: dict[str, Path]) -> set[str]:
    return {name.split(".")[1] for name, path in modules.items() if name.count(".") == 1 and path.name == "__init__.py"}


def test_no_stage_imports_a_later_stage(graph):
    modules, edges = graph
    bad = _later_imports(edges, _packages(modules))
    assert sorted(bad - ALLOWED_LATER_IMPORTS) == []
    stale = {pair for pair in ALLOWED_LATER_IMPORTS - bad if pair[0] in modules}
    assert sorted(stale) == [], "fixed: remove from ALLOWED_LATER_IMPORTS"


def _cycles(edges) -> set[tuple[str, ...]]:
    """Strongly connected components of more than one module, within each stage package (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), set()

    def visit(v, counter=[0]):  # noqa: B006 - a counter local to this search
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in edges or _stage(w) != _stage(v) or _stage(v) not in STAGES:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.add(tuple(sorted(comp)))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_inside_a_stage(graph):
    _, edges = graph
    cycles = _cycles(edges)
    assert sorted(cycles - ALLOWED_CYCLES) == []
    stale = {c for c in ALLOWED_CYCLES - cycles if all(m in edges for m in c)}
    assert sorted(stale) == [], "fixed: remove from ALLOWED_CYCLES"


def test_no_file_over_650_lines(graph):
    modules, _ = graph
    long = {str(p.relative_to(SRC)) for p in modules.values() if len(p.read_text().splitlines()) > MAX_LINES}
    assert sorted(long - ALLOWED_LONG_FILES) == []
    stale = {f for f in ALLOWED_LONG_FILES - long if (SRC / f).exists()}
    assert sorted(stale) == [], "fixed: remove from ALLOWED_LONG_FILES"


def test_the_checks_can_fail():
    # a later-stage import, a cycle and the stage of a module are found on a made-up graph
    edges = {
        "braintwin.simulate.a": {"braintwin.simulate.b", "braintwin.whatif.x", "braintwin._shared"},
        "braintwin.simulate.b": {"braintwin.simulate.a", "braintwin.vep.fit"},
        "braintwin.whatif.x": {"braintwin.simulate.a"},
    }
    assert _later_imports(edges, {"vep"}) == {("braintwin.simulate.a", "braintwin.whatif.x"), ("braintwin.simulate.b", "braintwin.vep.fit")}
    assert _cycles(edges) == {("braintwin.simulate.a", "braintwin.simulate.b")}
