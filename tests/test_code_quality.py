"""The code stays typed, linted and formatted: the same checks a reviewer would run."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_code_passes(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Workflow code must replay the same way every time. The sandbox would catch these at run time,
# but the incident's modules are passed through it (worker.py, WORKFLOW_RUNNER), so they are
# checked here instead: nothing in them reads the clock, the environment, randomness or I/O.
FORBIDDEN_IMPORTS = {"os", "time", "random", "uuid", "socket", "threading", "asyncio", "httpx"}
# The workflow class runs in Temporal's deterministic event loop: its delivery lanes are asyncio
# tasks there (create_task, gather, cancel), as in Temporal's samples. The pure modules have none.
RUNS_IN_TEMPORALS_EVENT_LOOP = {"workflows/incident.py": {"asyncio"}}
FORBIDDEN_METHODS = {"now", "utcnow", "today", "getenv", "sleep", "urandom"}
FORBIDDEN_FUNCTIONS = {"open", "input", "print"}


@pytest.mark.parametrize(
    "path",
    sorted([*(ROOT / "workflows").rglob("*.py"), *(ROOT / "messages").rglob("*.py")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_workflow_code_reads_no_clock_environment_or_randomness(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            allowed = RUNS_IN_TEMPORALS_EVENT_LOOP.get(f"{path.parent.name}/{path.name}", set())
            problems += [
                f"imports {n}"
                for n in names
                if (n or "").split(".")[0] in FORBIDDEN_IMPORTS - allowed
            ]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in FORBIDDEN_FUNCTIONS:
                problems.append(f"calls {node.func.id}() on line {node.lineno}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            via_workflow = isinstance(owner, ast.Name) and owner.id == "workflow"
            if node.func.attr in FORBIDDEN_METHODS and not via_workflow:
                problems.append(f"calls .{node.func.attr}() on line {node.lineno}")
    assert problems == [], f"{path.name}: {problems}"


MODULE_LINES_MAX = 400  # issue 16: a module past this wants splitting by what its parts are for


def test_no_module_outside_tests_is_over_400_lines() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    if not tracked:  # not a git checkout (an sdist): nothing to say
        pytest.skip("not a git checkout")
    long = {
        name: lines
        for name in tracked
        if not name.startswith("tests/")
        and (lines := len((ROOT / name).read_text().splitlines())) > MODULE_LINES_MAX
    }
    assert long == {}, long
