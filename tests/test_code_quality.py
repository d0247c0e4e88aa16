"""The code stays typed, linted and formatted: the same checks a reviewer would run."""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tokenize
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
        and (ROOT / name).exists()  # not deleted in the working tree
        and (lines := len((ROOT / name).read_text().splitlines())) > MODULE_LINES_MAX
    }
    assert long == {}, long


# A file named in a docstring or a comment: ``path/like.py``, `like.py`, or path/like.py.
_NAMED_FILE = re.compile(r"`{1,2}([\w./-]+\.py)`{1,2}|(?<![\w./:-])((?:[\w.-]+/)+[\w-]+\.py)\b")
_OUR_CODE = sorted(
    path
    for path in ROOT.rglob("*.py")
    if path.relative_to(ROOT).parts[0] not in {"tests", "build", ".venv"}
    and "__pycache__" not in path.parts
)


def _prose(path: Path) -> list[tuple[int, str]]:
    """Its docstrings and comments, with the line each starts on."""
    source = path.read_text()
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None and node.body:
                found.append((node.body[0].lineno, doc))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found.append((token.start[0], token.string))
    return found


@pytest.mark.parametrize("path", _OUR_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_files_docstrings_and_comments_name_exist(path: Path) -> None:
    """A file named by its path from the root or, by its bare name, beside the module."""
    missing = [
        f"line {line}: {named}"
        for line, text in _prose(path)
        for match in _NAMED_FILE.finditer(text)
        if not (ROOT / (named := match[1] or match[2])).exists()
        and not (path.parent / named).exists()
    ]
    assert missing == [], f"{path.relative_to(ROOT)} names files that do not exist: {missing}"
