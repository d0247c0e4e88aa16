"""`/incident <words>`: Slack's words read by the CLI's own grammar (one grammar, two front ends).

    grammar = typer.main.get_command(starter.app)
    plan = plan_words(grammar, split_words("handover inc-1 --to <@U0SUE|sue>"),
                      actor="U0LEAD", request_id="slack-123")
    answer = await plan.work(incident_client, settings)   # or plan.reply for help

The words go through the same click command the `incident` CLI parses, with the verified Slack
user as the actor, recorded as arrived through Slack, and the command's work handed back instead
of run (see :class:`frontends.commands.Invocation`). Anything that cannot be a command raises
:class:`CommandError` with one sentence, before anything is sent to Temporal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from frontends.commands import Invocation, Work
from messages.text import capitalised
from temporal_client.client import CommandError
from workflows.commands import COMMANDS
from workflows.model import Arrival

SLASH = "/incident"
TEXT_MAX = 4000  # longer than any command's own limits; Slack's slash text stays below it
# The CLI's commands that make sense in Slack; the rest (worker, relay, dev, retro-doc,
# codec-server…) run on a server or write local files.
SLACK_COMMANDS = [
    "report",
    "declare",
    *(spec.action.value for spec in COMMANDS.values() if spec.slack),
    "show",
    "timeline",
    "list",
    "alerts",
    "stats",
]

_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"'})
_OPENING_SINGLE = ("'", "\u2018")  # typed, or as Slack's smart quotes write it
_CLOSING_SINGLE = re.compile("['\u2019](?=\\s|$)")
_HELP_WORDS = ("help", "--help", "-h")


@dataclass(frozen=True)
class Plan:
    """What a request comes to: work to run against Temporal, or a reply ready to send."""

    work: Work | None = None
    reply: str | None = None


def split_words(text: str) -> list[str]:
    """Slack text → words, as a shell would read them where it matters: double quotes group
    words; so do single quotes that open a word and close one (``--summary 'CDN purge fixed
    it'``), while an apostrophe inside a word is a letter (``we can't reproduce``). Slack's
    escaping of ``& < >`` is undone (``<@U123|name>`` mentions are kept whole for the grammar)."""
    if len(text) > TEXT_MAX:
        raise CommandError(f"The command is too long: {len(text)} characters, at most {TEXT_MAX}.")
    text = text.translate(_SMART_QUOTES)
    words: list[str] = []
    at = 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        word, at = _word(text, at)
        words.append(_unescape(word))
    return words


def _word(text: str, at: int) -> tuple[str, int]:
    """The word that starts at ``at``, and where the text goes on after it."""
    pieces: list[str] = []
    while at < len(text) and not text[at].isspace():
        if text[at] == '"':
            end = text.find('"', at + 1)
            if end < 0:
                raise CommandError('A quote is not closed: put the text between two " marks.')
            pieces.append(text[at + 1 : end])
            at = end + 1
        elif text[at] in _OPENING_SINGLE and not pieces and (end := _closing(text, at)) > 0:
            pieces.append(text[at + 1 : end])
            at = end + 1
        else:
            pieces.append(text[at])
            at += 1
    return "".join(pieces), at


def _closing(text: str, opening: int) -> int:
    """Where a single quote that opens a word closes: the first one that ends a word (-1: none,
    and the opening one is a letter, as in ``'90s``)."""
    found = _CLOSING_SINGLE.search(text, opening + 1)
    return found.start() if found else -1


def _unescape(word: str) -> str:
    if word.startswith("<mailto:") and word.endswith(">"):  # Slack links emails it sees
        word = word[len("<mailto:") : -1].split("|")[0]
    return word.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plan_words(grammar: TyperGroup, words: list[str], *, actor: str, request_id: str) -> Plan:
    """Parse ``words`` with the CLI's grammar; the command acts as ``actor``, once per request."""
    if not words or words[0].lower() in _HELP_WORDS:
        return Plan(reply=help_text(grammar, words[1:2]))
    name, args = words[0].lower(), words[1:]
    if name not in SLACK_COMMANDS:
        shown = name if len(name) <= 40 else name[:40] + "…"
        raise CommandError(f"{shown!r} is not a command: `{SLASH} help` lists them.")
    options = args[: args.index("--")] if "--" in args else args  # after `--`, only words
    if any(arg == "--as" or arg.startswith("--as=") for arg in options):
        raise CommandError("In Slack you always act as yourself, so --as is not accepted.")
    if any(arg in _HELP_WORDS[1:] for arg in options):
        return Plan(reply=help_text(grammar, [name]))
    invocation = Invocation(
        as_user=actor, request_id=request_id, planned=[], arrived_via=Arrival.SLACK
    )
    parent = typer.Context(grammar, info_name=SLASH, obj=invocation)
    command = grammar.get_command(parent, name)
    assert command is not None, name
    try:
        with command.make_context(name, args, parent=parent) as context:
            command.invoke(context)
    except TyperException as error:  # click's usage errors: missing or unknown options, values
        message = error.format_message().strip().rstrip(".")
        usage = _usage(grammar, name)
        raise CommandError(f"{capitalised(message)}: usage is `{usage}`.") from None
    assert len(invocation.planned or []) == 1, name
    return Plan(work=(invocation.planned or [])[0])


def _usage(grammar: TyperGroup, name: str) -> str:
    parent = typer.Context(grammar, info_name=SLASH)
    command = grammar.get_command(parent, name)
    assert command is not None, name
    context = typer.Context(command, info_name=name, parent=parent)
    pieces = " ".join([SLASH, name, *command.collect_usage_pieces(context)])
    return re.sub(r"\{(\w+)\}", lambda found: found.group(1).upper(), pieces)


def help_text(grammar: TyperGroup, topic: list[str]) -> str:
    """Every Slack command with its one-line help; or one command's usage and options."""
    parent = typer.Context(grammar, info_name=SLASH)
    if topic and topic[0].lower() in SLACK_COMMANDS:
        name = topic[0].lower()
        command = grammar.get_command(parent, name)
        assert command is not None
        context = typer.Context(command, info_name=name, parent=parent)
        lines = [f"`{_usage(grammar, name)}`", command.help or ""]
        for param in command.get_params(context):
            record = param.get_help_record(context)
            if record and "--help" not in record[0]:
                lines.append(f"• `{record[0]}` {record[1]}")
        return "\n".join(line for line in lines if line)
    lines = [f"`{SLASH} COMMAND ...`: the `incident` command's words; you act as yourself."]
    for name in SLACK_COMMANDS:
        command = grammar.get_command(parent, name)
        if command is not None:
            lines.append(f"• `{name}` {command.get_short_help_str(limit=90)}")
    lines.append(f"`{SLASH} help COMMAND` shows one command's options.")
    return "\n".join(lines)
