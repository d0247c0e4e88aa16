"""No import cycles: every module outside tests/ and bench/ imports on its own, in any order.

A cycle held together by load order works until someone imports one of its modules first, or
moves an import: then a name is missing from a module half loaded. So the module-level import
graph of the project's packages has none (read with ``ast``; imports inside functions and under
``TYPE_CHECKING`` run later, if at all, and are not edges), and every module is imported alone
in a fresh interpreter, as are a few pairs in both orders and every module in shuffled orders.

Importing each module in its own ``python -c`` takes about half a minute on two cores. Instead,
one fresh interpreter (``tests/import_alone.py``) loads the third-party libraries the project
imports, none of the project's modules, and forks a child per import: each child starts with no
module of the project loaded, which is what "on its own" asks of the project's import order.
"""

from __future__ import annotations

import ast
import itertools
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "workflows",
    "activities",
    "messages",
    "temporal_client",
    "frontends",
    "operations",
    "intake",
)
SCRIPTS = ("starter", "worker")

# Imported together, both ways round: the modules of the old cycle, and the others that meet.
PAIRS = [
    ("messages.sentences", "workflows.destinations.github"),
    ("workflows.destinations.github", "workflows.model"),
    ("workflows.model.state", "workflows.destinations"),
    ("workflows.destinations.slack", "workflows.model"),
    ("workflows.model", "messages.reminder_sentences"),
    ("workflows.process", "workflows.commands"),
    ("temporal_client.client", "workflows.process"),
    ("frontends.cli", "starter"),
    ("worker", "activities.github"),
    ("messages.terminal", "frontends.stats"),
]
SHUFFLES = 3  # whole-project imports, each in its own shuffled order (the seed is reported)


def project_modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the project's packages and scripts: its file, and whether a package."""
    found: dict[str, tuple[Path, bool]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    for script in SCRIPTS:
        found[script] = (ROOT / f"{script}.py", False)
    return found


def _runs_later(node: ast.AST) -> bool:
    """Imports under it run when called, or never (``if TYPE_CHECKING:``)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return True
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def module_level_imports(module: str, path: Path, is_package: bool) -> list[tuple[str, int]]:
    """What the module imports while it loads: (the name imported, the line)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _runs_later(child):
                # An `if TYPE_CHECKING:` block's `else:` does run.
                for later in child.orelse if isinstance(child, ast.If) else []:
                    visit(ast.Module(body=[later], type_ignores=[]))
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parents = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*parents, *([base] if base else [])])
                found.extend((f"{base}.{alias.name}", child.lineno) for alias in child.names)
            else:
                visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return found


def _project_module(name: str, modules: dict[str, tuple[Path, bool]]) -> str | None:
    """The project module a name imports (``a.b.C`` → ``a.b``), or None for another library."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, dict[str, int]]:
    """Module → the project modules it runs while loading → the line that imports each.

    Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` first: those are edges
    too, except to the importer's own packages, which are already loading."""
    modules = project_modules()
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, (path, is_package) in modules.items():
        for imported, line in module_level_imports(name, path, is_package):
            target = _project_module(imported, modules)
            if target is None or target == name:
                continue
            graph[name].setdefault(target, line)
            parts = target.split(".")
            for depth in range(1, len(parts)):
                parent = ".".join(parts[:depth])
                if parent in modules and not (name + ".").startswith(parent + "."):
                    graph[name].setdefault(parent, line)
    return graph


def tangles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module: each import the others."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[set[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = {stack.pop()}
            while node not in component:
                component.add(stack.pop())
            if len(component) > 1:
                components.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(sorted(component) for component in components)


def _a_cycle_in(component: list[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """The shortest way from the component's first module back to itself."""
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node]):
            if nxt == start:
                return [*paths[node], start]
            if nxt in component and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def described(tangle: list[str], graph: dict[str, dict[str, int]]) -> str:
    """One cycle of the tangle, with the lines that import, and every module in it."""
    cycle = _a_cycle_in(tangle, graph)
    steps = [f"{a} (line {graph[a][b]})" for a, b in itertools.pairwise(cycle)]
    return " -> ".join([*steps, cycle[-1]]) + f"\n  (all {len(tangle)}: {', '.join(tangle)})"


def test_the_module_level_import_graph_has_no_cycle() -> None:
    graph = import_graph()
    found = [described(tangle, graph) for tangle in tangles(graph)]
    assert found == [], "import cycles:\n" + "\n".join(found)


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3}, "d": {"a": 4}}
    assert [described(t, graph) for t in tangles(graph)] == [
        "a (line 1) -> b (line 2) -> c (line 3) -> a\n  (all 3: a, b, c)"
    ]


def test_a_submodule_import_runs_its_packages() -> None:
    graph = import_graph()
    # workflows/process.py imports workflows.model.x names: the package's __init__ runs first.
    assert "workflows.model" in graph["workflows.process"]
    assert "workflows" not in graph["workflows.model.state"]  # its own package: already loading


def test_every_module_imports_alone_in_any_order() -> None:
    modules = sorted(project_modules())
    missing = {m for pair in PAIRS for m in pair} - set(modules)
    assert not missing, f"PAIRS names modules that no longer exist: {sorted(missing)}"
    jobs = {
        "modules": modules,
        "pairs": [*PAIRS, *((b, a) for a, b in PAIRS)],
        "shuffles": SHUFFLES,
        "preload": third_party_imports(),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "import_alone.py")],
        input=json.dumps(jobs),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,  # about 8 s on two cores
    )
    assert result.returncode == 0, result.stderr
    failed = json.loads(result.stdout)
    summary = [f"import {job}: {error.strip().splitlines()[-1]}" for job, error in failed.items()]
    first = next(iter(failed.items()), ("", ""))
    assert failed == {}, "\n".join([*summary, "", f"The first, import {first[0]}:", first[1]])


def third_party_imports() -> list[str]:
    """What the project's modules import from other libraries while they load."""
    modules = project_modules()
    names = {
        imported.rpartition(".")[0] if "." in imported else imported
        for name, (path, is_package) in modules.items()
        for imported, _ in module_level_imports(name, path, is_package)
        if _project_module(imported, modules) is None
    }
    return sorted(n for n in names if n and n.split(".")[0] not in {*PACKAGES, *SCRIPTS})
