"""A tiny-size run of `python -m bench --quick`, so the benchmarks do not rot.

It checks that every figure of issue 6 is measured (or says why not) and written to results.json;
it asserts nothing about the numbers: benchmarks are never timed assertions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import ORDER

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parent.parent


def test_quick_bench_writes_every_figure(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "INCIDENT_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    document = json.loads(output.read_text())

    assert document["mode"] == "quick"
    assert {"cores", "python", "temporalio"} <= set(document["machine"])
    assert list(document["figures"]) == ORDER
    for key, figure in document["figures"].items():
        assert figure["target"], key
        failed = [note for note in figure["notes"] if note.startswith("Failed:")]
        assert not failed, (key, failed)
        if figure["met"] is None:  # not measured: it must say why
            assert figure["notes"], key
        else:
            assert figure["value"] is not None, key
            assert figure["product"], key
    for line in ORDER:
        assert line in result.stdout  # the printed table names every figure
