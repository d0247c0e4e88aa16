"""Which build is running: the package's version and the commit it was built from.

The worker reports ``build_id()`` to Temporal with every workflow task it completes, so the Web UI
shows which build ran each step of an incident (a workflow task's details: its build id).

    >>> build_id().startswith(version())
    True
"""

from __future__ import annotations

import os
import subprocess
from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path

PACKAGE = "incident-workflow"
SOURCE = Path(__file__).resolve().parent.parent
COMMIT_SETTING = "INCIDENT_BUILD_COMMIT"  # an image built without .git says its commit here


@cache
def version() -> str:
    """The release, as pyproject.toml names it ("1.0.0")."""
    try:
        return installed_version(PACKAGE)
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


@cache
def commit() -> str | None:
    """The commit built from: the image's setting, else the checkout's HEAD; None when neither."""
    given = os.environ.get(COMMIT_SETTING, "").strip()
    if given:
        return given[:12]
    if not (SOURCE / ".git").exists():
        return None
    try:
        found = subprocess.run(
            ["git", "-C", str(SOURCE), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


def build_id() -> str:
    """``1.0.0+3f2a9c1d0b7e``: the version, and the commit when known."""
    made_from = commit()
    return f"{version()}+{made_from}" if made_from else version()
