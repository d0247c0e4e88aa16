"""Block Kit's published limits, as Slack checks what an app sends: messages, modals, Home tabs.

    problems = blocks_problems(message["blocks"], Surface.MESSAGE)   # [] when Slack accepts them
    problems = view_problems(view)                                   # a modal or a Home tab

The Slack stand-in refuses what these find (``invalid_blocks``, ``invalid_arguments``), and
``tests/test_blockkit_limits.py`` checks every payload the product builds with them. Each number
is Slack's, from its reference pages (docs.slack.dev/reference/block-kit/blocks/<block>,
…/block-elements/<element>, …/composition-objects/<object>, docs.slack.dev/reference/views/…):
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any


class Surface(StrEnum):
    MESSAGE = "message"
    MODAL = "modal"
    HOME = "home"


# Blocks: "up to 50 blocks in each message, and up to 100 blocks in modals or Home tabs".
BLOCKS_MAX = {Surface.MESSAGE: 50, Surface.MODAL: 100, Surface.HOME: 100}
BLOCK_ID_MAX = 255
SECTION_TEXT_MAX, SECTION_FIELDS_MAX, SECTION_FIELD_MAX = 3000, 10, 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
MARKDOWN_BLOCK_MAX = 12_000  # "cumulative limit for all markdown blocks in a single payload"
INPUT_LABEL_MAX = INPUT_HINT_MAX = 2000
TEXT_OBJECT_MAX = 3000
# Elements.
ACTION_ID_MAX = 255
BUTTON_TEXT_MAX, BUTTON_VALUE_MAX, BUTTON_URL_MAX = 75, 2000, 3000
PLACEHOLDER_MAX = 150
SELECT_OPTIONS_MAX = 100  # static_select
CHECKBOXES_OPTIONS_MAX = 10
OPTION_TEXT_MAX, OPTION_VALUE_MAX, OPTION_DESCRIPTION_MAX = 75, 150, 75
INPUT_LENGTH_MAX = 3000  # plain_text_input: min_length 0-3000, max_length 1-3000
# Views (docs.slack.dev/reference/views/modal-views, …/home-tab-views).
VIEW_TITLE_MAX = VIEW_SUBMIT_MAX = VIEW_CLOSE_MAX = 24
PRIVATE_METADATA_MAX = 3000
CALLBACK_ID_MAX = 255

_LAYOUT = frozenset({"section", "header", "context", "actions", "divider", "markdown"})
_OTHER = frozenset({"image", "rich_text", "file", "video", "table", "context_actions"})
BLOCK_TYPES = {
    Surface.MESSAGE: _LAYOUT | _OTHER,
    Surface.MODAL: _LAYOUT | _OTHER | {"input"},
    Surface.HOME: _LAYOUT | _OTHER | {"input"},
}
INPUT_ELEMENTS = frozenset({"plain_text_input", "static_select", "users_select", "checkboxes"})


def view_problems(view: Any) -> list[str]:
    """What Slack would refuse in a view for views.open, views.update or views.publish."""
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        return ["view: type must be modal or home"]
    surface = Surface(view["type"])
    problems = list(
        _limited("private_metadata", view.get("private_metadata"), PRIVATE_METADATA_MAX)
    )
    problems += _limited("callback_id", view.get("callback_id"), CALLBACK_ID_MAX)
    if surface is Surface.MODAL:
        problems += _text_object("title", view.get("title"), VIEW_TITLE_MAX, plain_only=True)
        has_input = any(
            b.get("type") == "input" for b in view.get("blocks") or [] if isinstance(b, dict)
        )
        if "submit" in view or has_input:
            problems += _text_object("submit", view.get("submit"), VIEW_SUBMIT_MAX, plain_only=True)
        if "close" in view:
            problems += _text_object("close", view.get("close"), VIEW_CLOSE_MAX, plain_only=True)
    return problems + blocks_problems(view.get("blocks"), surface)


def blocks_problems(blocks: Any, surface: Surface) -> list[str]:
    """What Slack would refuse in a surface's blocks, each naming where (a JSON pointer)."""
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        return ["/blocks: must be an array of objects"]
    problems = []
    if len(blocks) > BLOCKS_MAX[surface]:
        problems.append(f"/blocks: no more than {BLOCKS_MAX[surface]} items allowed")
    block_ids = [str(b["block_id"]) for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        problems.append("/blocks: block_id must be unique")
    markdown = sum(len(str(b.get("text", ""))) for b in blocks if b.get("type") == "markdown")
    if markdown > MARKDOWN_BLOCK_MAX:
        problems.append(f"/blocks: markdown blocks over {MARKDOWN_BLOCK_MAX} characters in all")
    for n, block in enumerate(blocks):
        problems += [f"/blocks/{n}{p}" for p in _block(block, surface)]
    return problems


def _block(block: dict[str, Any], surface: Surface) -> Iterator[str]:
    kind = block.get("type")
    if kind not in BLOCK_TYPES[surface]:
        yield f": a {surface} cannot hold a {kind!r} block"
        return
    yield from _limited("/block_id", block.get("block_id"), BLOCK_ID_MAX)
    if kind == "section":
        fields = block.get("fields", [])
        if "text" not in block and not fields:
            yield ": a section needs text or fields"
        if "text" in block:
            yield from _text_object("/text", block["text"], SECTION_TEXT_MAX)
        if not isinstance(fields, list) or len(fields) > SECTION_FIELDS_MAX:
            yield f"/fields: at most {SECTION_FIELDS_MAX} items"
        for n, item in enumerate(fields if isinstance(fields, list) else []):
            yield from _text_object(f"/fields/{n}", item, SECTION_FIELD_MAX)
        if "accessory" in block:
            yield from _element("/accessory", block["accessory"])
    elif kind == "header":
        yield from _text_object("/text", block.get("text"), HEADER_TEXT_MAX, plain_only=True)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= CONTEXT_ELEMENTS_MAX:
            yield f"/elements: 1 to {CONTEXT_ELEMENTS_MAX} items"
            return
        for n, item in enumerate(elements):
            if not (isinstance(item, dict) and item.get("type") == "image"):
                yield from _text_object(f"/elements/{n}", item, TEXT_OBJECT_MAX)
    elif kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= ACTIONS_ELEMENTS_MAX:
            yield f"/elements: 1 to {ACTIONS_ELEMENTS_MAX} items"
            return
        action_ids = [e.get("action_id") for e in elements if isinstance(e, dict)]
        if len([a for a in action_ids if a]) != len({a for a in action_ids if a}):
            yield "/elements: action_id must be unique in the block"
        for n, item in enumerate(elements):
            yield from _element(f"/elements/{n}", item)
    elif kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= MARKDOWN_BLOCK_MAX:
            yield f"/text: 1 to {MARKDOWN_BLOCK_MAX} characters"
    elif kind == "input":
        yield from _text_object("/label", block.get("label"), INPUT_LABEL_MAX, plain_only=True)
        if "hint" in block:
            yield from _text_object("/hint", block["hint"], INPUT_HINT_MAX, plain_only=True)
        element = block.get("element")
        if not isinstance(element, dict) or element.get("type") not in INPUT_ELEMENTS:
            yield "/element: an input element is required"
        else:
            yield from _element("/element", element)


def _element(where: str, element: Any) -> Iterator[str]:
    if not isinstance(element, dict):
        yield f"{where}: must be an object"
        return
    kind = element.get("type")
    yield from _limited(f"{where}/action_id", element.get("action_id"), ACTION_ID_MAX)
    if "placeholder" in element:
        yield from _text_object(
            f"{where}/placeholder", element["placeholder"], PLACEHOLDER_MAX, plain_only=True
        )
    if kind == "button":
        yield from _text_object(
            f"{where}/text", element.get("text"), BUTTON_TEXT_MAX, plain_only=True
        )
        yield from _limited(f"{where}/value", element.get("value"), BUTTON_VALUE_MAX)
        yield from _limited(f"{where}/url", element.get("url"), BUTTON_URL_MAX)
        if element.get("style", "primary") not in ("primary", "danger"):
            yield f"{where}/style: must be primary or danger"
    elif kind in ("static_select", "checkboxes"):
        most = SELECT_OPTIONS_MAX if kind == "static_select" else CHECKBOXES_OPTIONS_MAX
        options = element.get("options")
        if not isinstance(options, list) or not 1 <= len(options) <= most:
            yield f"{where}/options: 1 to {most} items"
            return
        for n, option in enumerate(options):
            yield from _option(f"{where}/options/{n}", option, plain_only=kind == "static_select")
        chosen = [element["initial_option"]] if "initial_option" in element else []
        for option in chosen + list(element.get("initial_options") or []):
            if option not in options:
                yield f"{where}: an initial option must be one of the options"
    elif kind == "plain_text_input":
        longest = element.get("max_length", INPUT_LENGTH_MAX)
        if not isinstance(longest, int) or not 1 <= longest <= INPUT_LENGTH_MAX:
            yield f"{where}/max_length: 1 to {INPUT_LENGTH_MAX}"
        elif len(str(element.get("initial_value", ""))) > longest:
            yield f"{where}/initial_value: longer than max_length"
    elif kind == "users_select":
        if "initial_user" in element and not str(element["initial_user"]).startswith(("U", "W")):
            yield f"{where}/initial_user: must be a user id"
    elif kind not in ("overflow", "datepicker", "image"):
        yield f"{where}: unknown element type {kind!r}"


def _option(where: str, option: Any, *, plain_only: bool) -> Iterator[str]:
    if not isinstance(option, dict):
        yield f"{where}: must be an object"
        return
    yield from _text_object(
        f"{where}/text", option.get("text"), OPTION_TEXT_MAX, plain_only=plain_only
    )
    yield from _limited(f"{where}/value", option.get("value"), OPTION_VALUE_MAX, required=True)
    if "description" in option:
        yield from _text_object(
            f"{where}/description", option["description"], OPTION_DESCRIPTION_MAX, plain_only=True
        )


def _text_object(where: str, text: Any, limit: int, *, plain_only: bool = False) -> Iterator[str]:
    """A text object: ``plain_text`` (or ``mrkdwn`` where allowed) with 1 to ``limit`` chars."""
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if not isinstance(text, dict) or text.get("type") not in kinds:
        yield f"{where}: must be a text object of type {' or '.join(kinds)}"
        return
    body = text.get("text")
    if not isinstance(body, str) or not 1 <= len(body) <= limit:
        yield f"{where}: text must be 1 to {limit} characters"


def _limited(where: str, value: Any, limit: int, *, required: bool = False) -> Iterator[str]:
    if value is None:
        if required:
            yield f"{where}: required"
        return
    if not isinstance(value, str) or len(value) > limit:
        yield f"{where}: a string of at most {limit} characters"
