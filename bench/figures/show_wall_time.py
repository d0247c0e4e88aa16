"""`incident show` as a whole process against python, the import and the Go CLI's query.

    python -m bench --only show_wall_time

The baseline of each repetition is what any Python CLI asking Temporal would at least cost:
starting python and importing ``temporalio.client``, plus the Go ``temporal workflow query`` on
the same incident. The value is the ratio of the medians.

The product's modules are compiled first, as installing it compiles them (``pip install .``, the
Dockerfile's): temporalio's were compiled when it was installed, and with PYTHONDONTWRITEBYTECODE
set (as on the bench's machines) an editable install would otherwise compile every module from
source on every run, which no installed CLI does.
"""

from __future__ import annotations

import compileall
import sys
import tempfile
import tomllib
from functools import partial

from bench.figure import Bench, Figure
from bench.harness import (
    BIN,
    LEAD,
    ROOT,
    UPDATE_TEXT,
    WorkerProcess,
    clean_env,
    declaration,
    millis,
    ratio,
    run_process,
    summary,
)
from bench.side_by_side import in_turns
from workflows.model import Action
from workflows.model.commands import ProgressUpdate


async def show_wall_time(bench: Bench, worker: WorkerProcess, incident_queue: str) -> Figure:
    figure = Figure(
        key="show_wall_time",
        title="`incident show` wall time / (python + import temporalio.client + `temporal "
        "workflow query`)",
        target="<= 1.3",
        unit="ratio",
    )
    incident = await bench.start_incident(declaration(bench.name("inc-show")), incident_queue)
    for n in range(5):
        await incident.execute_update(
            Action.UPDATE, ProgressUpdate(actor=LEAD, text=f"{UPDATE_TEXT} {n}")
        )
    compiled = compile_as_installed()
    env = clean_env(TEMPORAL_ADDRESS=bench.address)
    cli = BIN / "incident"
    show = [str(cli), "show", incident.id] if cli.exists() else []
    show = show or [sys.executable, "-m", "starter", "show", incident.id]
    python_import = [sys.executable, "-c", "import temporalio.client"]
    go_query = [
        str(BIN / "temporal"),
        "workflow",
        "query",
        "--address",
        bench.address,
        "--workflow-id",
        incident.id,
        "--type",
        "state",
    ]
    commands = {"show": show, "python_import": python_import, "go_query": go_query}
    with tempfile.TemporaryDirectory() as empty:  # no stray .env is read
        for command in commands.values() if bench.sizes.show_reps > 2 else ():
            await run_process(command, env, cwd=empty)  # warm the page cache
        runs = {
            name: partial(run_process, command, env, cwd=empty)
            for name, command in commands.items()
        }
        samples = await in_turns(bench.sizes.show_reps, runs)
    baseline = [a + b for a, b in zip(samples["python_import"], samples["go_query"], strict=True)]
    figure.product = summary(millis(samples["show"]), unit="ms")
    figure.baseline = summary(millis(baseline), unit="ms")
    figure.value = ratio(figure.product["median"], figure.baseline["median"])
    figure.met = figure.value <= 1.3
    figure.extra = {
        "python_import_temporalio_client": summary(millis(samples["python_import"]), unit="ms"),
        "go_temporal_workflow_query": summary(millis(samples["go_query"]), unit="ms"),
        "show_command": " ".join(show[:-1]) + " ID",
        "modules_compiled_first": compiled,
    }
    figure.sizes = {"reps": bench.sizes.show_reps}
    figure.notes.append(
        "Baseline per repetition: `python -c 'import temporalio.client'` plus the Go "
        "`temporal workflow query --type state` on the same incident, run one after the other. "
        "The product's modules are compiled first, as `pip install .` compiles them."
    )
    await bench.terminate([incident.id])
    return figure


def compile_as_installed() -> int:
    """Compile the product's modules (pyproject's packages and modules) as installing it would;
    how many modules now have their bytecode."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        setuptools = tomllib.load(file)["tool"]["setuptools"]
    packages = [pattern.rstrip("*") for pattern in setuptools["packages"]["find"]["include"]]
    paths = [path for package in packages for path in sorted((ROOT / package).rglob("*.py"))]
    paths += [ROOT / f"{name}.py" for name in setuptools["py-modules"]]
    return sum(bool(compileall.compile_file(path, quiet=2)) for path in paths)
