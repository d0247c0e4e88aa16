"""The performance figures, from the last full run of `python -m bench` (``bench/results.json``):
a short table for the README and the whole one for the performance page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from operations.reference.markdown import table

# The README's words for each figure, and a shorter target where the figure's own is long; a
# figure not named here is shown by its own title and target.
SHORT: dict[str, tuple[str, str | None]] = {
    "update_latency": ("A command's answer (an Update) / a bare Temporal Update, p50", None),
    "show_wall_time": ("`incident show` / Python and Temporal's CLI asking the same", None),
    "reminder_lateness": ("Reminders of 1,000 incidents due in one minute: how late", None),
    "worker_memory": ("Worker memory per open incident / per bare workflow", None),
    "start_throughput": ("Incidents started per second / bare workflows", None),
    "long_incident": ("After 20,000 updates: reading the state / on a new incident", "<= 1.2"),
    "slack_fanout": (
        "Slack's pace, 100 incidents at once: messages per second per channel",
        "<= 1",
    ),
    "burst_reminders": ("A burst of incidents' reminders: how late they reach Slack", "p99 < 1 s"),
    "slack_during_page_outage": ("Slack updates while the status page is down / healthy", None),
    "alarm_storm": (
        "An alarm storm, 1,000 notifications from 50 flapping alarms in 60 s: first notification "
        "to the delivery managers' message",
        "p99 < 2 s; one report per alarm",
    ),
}


def load(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "bench" / "results.json").read_text())
    return data


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _measured(figure: dict[str, Any], *, detail: bool) -> str:
    value, unit = figure["value"], figure["unit"]
    product, baseline = figure.get("product") or {}, figure.get("baseline") or {}
    if unit == "ratio":
        said = f"{value:.3g}"
    elif unit == "s":
        said = f"p99 {_number(value)} s"
    else:
        said = f"{_number(value)} {unit}"
    if detail and product.get("median") is not None and baseline.get("median") is not None:
        said += (
            f" (median {_number(product['median'])} against {_number(baseline['median'])} "
            f"{product.get('unit', '')}"
        ).rstrip() + ")"
        if unit == "s":
            said += f"; bare p99 {_number(baseline['p99'])} s"
    return said


def _target(text: str) -> str:
    return text.replace("<=", "≤").replace(">=", "≥")


def _met(figure: dict[str, Any]) -> str:
    return "yes" if figure["met"] else "**no**"


def _run(data: dict[str, Any]) -> str:
    machine = data["machine"]
    day = data["finished_at"][:10]
    return (
        f"`{data['command']}` on {day}: {machine['cores']} cores, Python {machine['python']}, "
        f"temporalio {machine['temporalio']}, {machine['temporal_cli']}; "
        f"{data['duration_seconds']:.0f} s in all."
    )


def readme_block(root: Path) -> str:
    """How fast, in the README: a line a figure."""
    data = load(root)
    rows = []
    for key, figure in data["figures"].items():
        label, target = SHORT.get(key, (figure["title"], None))
        measured = _measured(figure, detail=False)
        rows.append((label, measured, _target(target or figure["target"]), _met(figure)))
    return (
        table(("how fast", "measured", "target", "met"), rows)
        + "\n\nEach figure is measured beside a bare Temporal workflow in the same run, on a "
        f"{data['machine']['cores']}-core machine (`bench/results.json`; `python -m bench` "
        "measures them again)."
    )


def page_block(root: Path) -> str:
    """The performance page's table: every figure's own title, with both sides' medians."""
    data = load(root)
    rows = [
        (figure["title"], _measured(figure, detail=True), _target(figure["target"]), _met(figure))
        for figure in data["figures"].values()
    ]
    return (
        table(("figure", "measured", "target", "met"), rows)
        + f"\n\nThe run: {_run(data)} `bench/results.json` holds every sample's median, p99, "
        "minimum and maximum, the sizes and the notes of each figure."
    )
