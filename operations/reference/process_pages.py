"""Who may do what (the command table), the Slack messages and buttons (the notice kinds, where
the workflow sends each, and the buttons the Block Kit builders put on them), and the Web UI's
search attributes: each read from the code that decides it."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from itertools import groupby, product
from pathlib import Path

from operations.reference.markdown import code, page, table
from operations.reference.process_words import AUDIENCES, MESSAGES, NOTES, SEARCH_ATTRIBUTES
from workflows.commands import COMMANDS, SIGNALS, CommandSpec
from workflows.model import Action, Severity, Status
from workflows.rules import Role

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
_ROLE_ORDER = [Role.LEAD, Role.SUPPORTER, Role.DELIVERY_MANAGER]


class MissingWords(LookupError):
    """A message kind or search attribute with no words, or words for one that does not exist."""


def check_words() -> None:
    from messages.slack_blocks import ActionId  # noqa: F401  (the buttons' module imports cleanly)
    from workflows.destinations.slack import NoticeKind
    from workflows.search_attributes import ALL_KEYS

    problems = [
        f"message {k.value}: no words in process_words.MESSAGES"
        for k in NoticeKind
        if k not in MESSAGES
    ]
    names = {key.name for key in ALL_KEYS}
    problems += [f"search attribute {n}: no words" for n in names - set(SEARCH_ATTRIBUTES)]
    problems += [
        f"search attribute {n}: described, not in ALL_KEYS" for n in set(SEARCH_ATTRIBUTES) - names
    ]
    problems += [f"note for {a}: no such command" for a in NOTES if a not in COMMANDS]
    if problems:
        raise MissingWords("; ".join(sorted(problems)))


# --- Who may do what ---------------------------------------------------------------------------


def _who(spec: CommandSpec) -> str:
    roles = [r for r in _ROLE_ORDER if r in spec.rule.roles]
    words = "anyone" if Role.ANYONE in spec.rule.roles else _either([r.value for r in roles])
    note = NOTES.get(spec.action, {}).get("who")
    return f"{words} ({note})" if note else words


def _when(spec: CommandSpec) -> str:
    words = ", ".join(s.value.replace("_", " ") for s in Status if s in spec.rule.statuses)
    note = NOTES.get(spec.action, {}).get("when")
    return f"{words} ({note})" if note else words


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def render_permissions() -> str:
    """docs/reference/permissions.md: every command's rule, and the signals that carry them."""
    rows = [("`report`, `declare`", "anyone", "— (they open an incident)")]
    specs = [COMMANDS[action] for action in Action]
    for (who, when), same in groupby(specs, key=lambda spec: (_who(spec), _when(spec))):
        rows.append((", ".join(f"`{spec.action.value}`" for spec in same), who, when))
    rules = table(("command", "who", "when (incident status)"), rows)
    signals = table(
        ("signal", "command", "body (JSON; every body may also carry `request_id`)"),
        [
            (f"`{name}`", f"`{spec.action.value}`", _body(spec))
            for name, spec in sorted(SIGNALS.items())
        ],
    )
    intro = (
        "Each command's rule is declared with the command (`workflows/commands/`) and enforced "
        "by its Update's validator; signals pass the same rules. A refusal is one sentence and "
        "changes nothing. *Lead*, *supporter* and *delivery manager* are the incident's own: "
        "its lead, the people who joined it, and the delivery managers in its policy. "
        "`tests/test_authorisation.py` checks this table against the rules, row by row and "
        "status by status."
    )
    return page(
        "Who may do what",
        intro,
        "## Commands, roles and statuses\n\n" + rules,
        "## Signals\n\nThe main commands are also signals, for senders that fire and forget "
        "(see [Signals and scripts](../admin/signals.md)); each passes its command's rule.\n\n"
        + signals,
    )


def _body(spec: CommandSpec) -> str:
    fields = [name for name in spec.model.model_fields if name != "arrived_via"]
    said = ", ".join(f"`{name}`" for name in fields)
    if spec.read_signal is not None and spec.read_signal.__doc__:
        return f"{said}; {' '.join(spec.read_signal.__doc__.split())}"
    return said


# --- Slack messages and buttons -----------------------------------------------------------------


def _audiences() -> dict[str, set[str]]:
    """Where the workflow sends each kind of message: its calls `to_channel(NoticeKind.X, …)`,
    `announce(…)`, `direct(…)` and `_notice(NoticeKind.X, Audience.Y, …)`, read from its code."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "workflows").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Attribute) and isinstance(first.value, ast.Name)):
                continue
            if first.value.id != "NoticeKind" or node.func.attr not in AUDIENCES | {"_notice": 0}:
                continue
            how = node.func.attr
            if how == "_notice" and len(node.args) > 1:
                how = ast.unparse(node.args[1])
            if how in AUDIENCES:
                found.setdefault(first.attr.lower(), set()).add(AUDIENCES[how])
    return found


def _buttons_on(kind: str, audience: str) -> dict[str, tuple[str, str]]:
    """The buttons a message of ``kind`` sent to ``audience`` carries, by action id: its label
    and when it is there (the statuses, not on a security incident), found by building the
    message in every status, with and without security."""
    from messages.slack_blocks import notice_blocks
    from workflows.destinations.slack import Audience, IncidentBrief, Notice, NoticeKind, Standing

    where = {v: Audience(k.split(".")[1].lower()) for k, v in AUDIENCES.items() if "." in k}
    standing = {
        (NoticeKind.DECLARED, Audience.PLATFORM_CHANNEL): Standing.ANNOUNCEMENT,
        (NoticeKind.SUMMARY, Audience.INCIDENT_CHANNEL): Standing.SUMMARY,
    }
    seen: dict[str, tuple[str, set[tuple[Status, bool]]]] = {}
    for status, security in product(Status, (False, True)):
        brief = IncidentBrief(
            id="inc-1", title="t", severity=Severity.SEV1, status=status, lead="U0LEAD",
            channel_id="C1", security=security,
        )  # fmt: skip
        notice = Notice(
            key="k", kind=NoticeKind(kind), audience=where[audience], recipients=["U0DM"],
            incident=brief, standing=standing.get((NoticeKind(kind), where[audience])),
        )  # fmt: skip
        for block in notice_blocks(notice):
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                seen.setdefault(element["action_id"], (element["text"]["text"], set()))
                seen[element["action_id"]][1].add((status, security))
    return {action: (label, _condition(cases)) for action, (label, cases) in seen.items()}


def _condition(cases: set[tuple[Status, bool]]) -> str:
    statuses = [s for s in Status if (s, False) in cases or (s, True) in cases]
    said = []
    if len(statuses) < len(Status):
        said.append("while " + _either([s.value.replace("_", " ") for s in statuses]))
    if not any(security for _, security in cases):
        said.append("not on a security incident")
    return ", ".join(said)


def _button_does(action: str) -> str:
    from frontends.relay_forms import BUTTON_FORMS, HOME_FORMS
    from messages.slack_blocks import BUTTONS, ActionId

    clicked = ActionId(action)
    if clicked in BUTTONS:
        button = BUTTONS[clicked]
        asks = f"; a form asks first: {button.asks_why[1].format('ID')}" if button.asks_why else ""
        return f'runs `{button.command}` as whoever clicks{asks}; the message then says "{button.done} by …"'
    form = {**BUTTON_FORMS, **HOME_FORMS}.get(clicked)
    if form is not None:
        return (
            f"opens the `{form.value.removeprefix('incident_form_')}` form, run as whoever submits"
        )
    return "—"


def render_messages() -> str:
    """docs/reference/slack.md: every kind of message, where it goes, and its buttons."""
    from messages.slack_blocks import ActionId
    from messages.slack_home import home_view
    from workflows.destinations.slack import NoticeKind

    audiences = _audiences()
    rows: list[tuple[str, ...]] = []
    buttons: dict[str, tuple[str, list[str]]] = {}
    for kind in NoticeKind:
        where = sorted(audiences.get(kind.value, set()))
        on_it = []
        for audience in where:
            for action, (label, when) in _buttons_on(kind.value, audience).items():
                place = f"{kind.value} ({audience})"
                buttons.setdefault(action, (label, []))[1].append(
                    place + (f", {when}" if when else "")
                )
                on_it.append(f"{label} ({audience}{', ' + when if when else ''})")
        rows.append((f"`{kind.value}`", MESSAGES[kind], ", ".join(where) or "—", "; ".join(on_it)))
    for block in home_view("U0DM", [], now=NOW)["blocks"]:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            buttons.setdefault(element["action_id"], (element["text"]["text"], []))[1].append(
                "the app's Home tab"
            )
    button_rows = [
        (label, f"`{action}`", "; ".join(places), _button_does(action))
        for action, (label, places) in sorted(
            buttons.items(), key=lambda b: list(ActionId).index(ActionId(b[0]))
        )
    ]
    unplaced = [a.value for a in ActionId if a.value not in buttons]
    intro = (
        "Every message the worker sends is one of these kinds, to the incident's channel (or its "
        "thread in shared mode), the platform channel, or people directly. Without Slack the "
        "worker prints the same messages on its console. The words themselves are in "
        "`messages/sentences.py` and `messages/reminder_sentences.py`."
    )
    sections = [
        "## Messages\n\n" + table(("kind", "what it says", "where", "buttons"), rows),
        "## Buttons\n\nA click is the same Update as the command typed, from the same person, "
        "judged by the same rules; a refusal reaches only whoever clicked.\n\n"
        + table(("button", "action id", "on", "what a click does"), button_rows),
    ]
    if unplaced:
        sections.append("Declared but found on no message: " + ", ".join(code(a) for a in unplaced))
    return page("Slack messages and buttons", intro, *sections)


# --- Search attributes --------------------------------------------------------------------------


def render_search_attributes() -> str:
    """docs/reference/search-attributes.md: what the Web UI can filter incidents by."""
    from workflows.model import IncidentState
    from workflows.model.alarms import AlarmFacts, AlarmSource
    from workflows.search_attributes import ALL_KEYS, search_attribute_values

    values: dict[str, dict[str, None]] = {key.name: {} for key in ALL_KEYS}  # in order seen
    alarms = [
        None,
        *(
            AlarmFacts(source=s, key="k", fired_at=NOW, changed_at=NOW, recorded_at=NOW)
            for s in AlarmSource
        ),
    ]
    for status, severity, security, alarm in product(
        Status, [None, *Severity], (False, True), alarms
    ):
        state = IncidentState(
            id="inc-1", title="t", status=status, severity=severity, lead="U0LEAD",
            security=security, alarm=alarm, reporter="U0REP", created_at=NOW,
        )  # fmt: skip
        for name, value in search_attribute_values(state).items():
            if value is not None:
                values[name][str(value).lower() if isinstance(value, bool) else str(value)] = None
    rows = []
    for key in ALL_KEYS:
        seen = list(values[key.name])
        shown = "a person's Slack id" if seen == ["U0LEAD"] else ", ".join(code(v) for v in seen)
        kind = key.indexed_value_type.name.title()
        rows.append((f"`{key.name}`", kind, SEARCH_ATTRIBUTES[key.name], shown))
    intro = (
        "The worker (and, in the compose stack, `temporal-setup`) registers these when they are "
        "missing, and each incident keeps them current: the Web UI's list filters by them (see "
        "[The Web UI is the incident list](../incident/web-ui.md)). They are not encrypted: "
        "Temporal reads them."
    )
    return page(
        "Search attributes",
        intro,
        table(("attribute", "type", "what it holds", "values"), rows),
    )
