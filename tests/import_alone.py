"""Import each of the project's modules alone, from a fresh interpreter (tests/test_imports.py).

Reads a JSON job from stdin: ``modules`` (each imported alone), ``pairs`` (each imported in the
order given), ``shuffles`` (how many times to import every module in a shuffled order) and
``preload`` (the other libraries the project imports). It loads those libraries once, then forks
a child per job, two at a time per CPU; a child starts with none of the project's modules loaded.
Prints ``{job: traceback}`` for the jobs that failed (``{}`` when none did).

One gap: a module that imports ``pkg`` and uses ``pkg.sub`` it never imported passes here when
another of the project's modules imports ``pkg.sub``, since the preload has loaded it.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import sys
import tempfile
import threading
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def preload(names: list[str]) -> None:
    for name in names:
        while name:
            try:
                importlib.import_module(name)
                break
            except ModuleNotFoundError:  # `from pkg import name`: the name is not a module
                name = name.rpartition(".")[0]
            except Exception:  # a library that fails is the child's to report
                break


def run(order: list[str]) -> None:
    for name in order:
        importlib.import_module(name)


def main() -> None:
    sys.path[0] = str(ROOT)  # the project's root, as `python -c` from there; not tests/
    job = json.load(sys.stdin)
    preload(job["preload"])
    projects = {m.split(".")[0] for m in job["modules"]}
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in projects)
    assert not loaded, f"the preload loaded modules of the project: {loaded}"
    assert threading.active_count() == 1, "a preloaded library started a thread: forking is unsafe"

    orders: dict[str, list[str]] = {m: [m] for m in job["modules"]}
    orders.update({" then ".join(pair): list(pair) for pair in job["pairs"]})
    for _ in range(job["shuffles"]):
        seed = random.randrange(2**32)
        shuffled = random.Random(seed).sample(job["modules"], len(job["modules"]))
        orders[f"every module, shuffled with random.Random({seed})"] = shuffled

    failed: dict[str, str] = {}
    running: dict[int, tuple[str, str]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        pending = list(orders.items())
        while pending or running:
            while pending and len(running) < 2 * (os.cpu_count() or 1):
                name, order = pending.pop(0)
                report = os.path.join(scratch, str(len(pending)))
                pid = os.fork()
                if pid == 0:  # the child: import, report any error, exit without cleanup
                    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # stdout is the answer's
                    try:
                        run(order)
                        os._exit(0)
                    except BaseException:  # every failure is reported
                        Path(report).write_text(traceback.format_exc())
                        os._exit(1)
                running[pid] = (name, report)
            pid, status = os.wait()
            name, report = running.pop(pid)
            if status != 0:
                text = Path(report).read_text() if os.path.exists(report) else f"status {status}"
                failed[name] = text
    print(json.dumps(failed))


if __name__ == "__main__":
    main()
