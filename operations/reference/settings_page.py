"""Every setting the project reads, from its settings models: the settings page and `.env.example`.

The settings models are found, not listed: every ``pydantic_settings.BaseSettings`` subclass in
the project's packages (``temporal_client.settings.Settings``, which also takes the policy's and
the destinations' declared settings, and ``activities.github.GitHubSettings``). Their names,
types and defaults come from the models; what each means comes from ``setting_words.py``.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import textwrap
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from operations.reference.markdown import GENERATED, code, page, table
from operations.reference.setting_words import COMPOSE_KNOBS, SETTINGS, About, Group

PACKAGES = ("temporal_client", "activities", "intake", "frontends", "operations")
_KNOB = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


class MissingWords(LookupError):
    """A setting (or compose knob) with no entry in setting_words.py, or an entry for none."""


@dataclass(frozen=True)
class Setting:
    name: str
    field: FieldInfo
    model: type[BaseSettings]

    @property
    def about(self) -> About:
        return SETTINGS[self.name]

    @property
    def default(self) -> str:
        """The default as it would be written in the environment; "" when unset or empty."""
        value = self.field.default
        if value is None or value is PydanticUndefined:
            return ""
        if isinstance(value, bool):
            return str(value).lower()
        return str(value)

    @property
    def kind(self) -> str:
        """What the value is: text, a secret, a number, true/false, a file, a choice."""
        annotation = _bare(self.field.annotation)
        if annotation is SecretStr:
            return "secret"
        if annotation is bool:
            return "true or false"
        if annotation in (int, float):
            return "number"
        if annotation is Path:
            return "file" if "tls" in self.name.lower() else "path"
        if get_origin(annotation) is Literal:
            return " or ".join(str(choice) for choice in get_args(annotation))
        return "text"


def _bare(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def _settings_models() -> list[type[BaseSettings]]:
    """Every BaseSettings subclass defined in the project's packages, after importing them."""
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    found: list[type[BaseSettings]] = []
    pending = list(BaseSettings.__subclasses__())
    while pending:
        model = pending.pop(0)
        pending += model.__subclasses__()
        if model.__module__.split(".")[0] in PACKAGES and model not in found:
            found.append(model)
    return found


def every_setting() -> dict[str, Setting]:
    """Every setting by its environment name, as the models read it."""
    settings: dict[str, Setting] = {}
    for model in _settings_models():
        prefix = str(model.model_config.get("env_prefix") or "")
        for field_name, field in model.model_fields.items():
            name = (prefix + field_name).upper()
            settings.setdefault(name, Setting(name, field, model))
    return dict(sorted(settings.items()))


def compose_knobs(compose: str) -> dict[str, str]:
    """docker-compose.yml's own variables (not settings) and their defaults ("" for none)."""
    knobs: dict[str, str] = {}
    names = every_setting()
    for name, how, value in _KNOB.findall(compose):
        if name not in names:
            knobs.setdefault(name, value if how == "-" else "")
    return knobs


def check_words(compose: str) -> None:
    """Refuse to write pages that would say nothing of a setting or a knob."""
    names, knobs = set(every_setting()), set(compose_knobs(compose))
    problems = [
        f"{n}: no words in operations/reference/setting_words.py" for n in names - set(SETTINGS)
    ]
    problems += [f"{n}: described, but no settings model reads it" for n in set(SETTINGS) - names]
    problems += [f"compose knob {n}: no words in COMPOSE_KNOBS" for n in knobs - set(COMPOSE_KNOBS)]
    problems += [
        f"compose knob {n}: described, not in the compose file" for n in set(COMPOSE_KNOBS) - knobs
    ]
    if problems:
        raise MissingWords("; ".join(sorted(problems)))


def _by_group() -> dict[Group, list[Setting]]:
    grouped: dict[Group, list[Setting]] = {group: [] for group in Group}
    for setting in every_setting().values():
        grouped[setting.about.group].append(setting)
    order = list(SETTINGS)
    return {g: sorted(s, key=lambda s: order.index(s.name)) for g, s in grouped.items() if s}


def _meaning(setting: Setting) -> str:
    about = setting.about
    recorded = about.policy and about.group is not Group.PROCESS
    return about.meaning + (" Recorded in each incident's policy." if recorded else "")


def render_page() -> str:
    """docs/reference/settings.md."""
    intro = (
        "Every setting is read from the environment, or from a `.env` file in the working "
        "directory. `.env.example` lists the same settings, with the compose stack's values.\n\n"
        "The organisation's process is the worker's: the settings marked as recorded in each "
        "incident's policy are read from the **worker's** environment when an incident opens, "
        "and a running incident keeps them (see [Settings](../operators/settings.md)). The "
        "worker, the relay and `incident dev` refuse a bad value at start, in one sentence."
    )
    sections = []
    for group, settings in _by_group().items():
        rows = [
            (f"`{s.name}`", _meaning(s), s.kind, code(s.default) if s.default else "unset")
            for s in settings
        ]
        sections.append(
            f"## {group.title}\n\n{group.intro}\n\n"
            + table(("setting", "what it does", "value", "default"), rows)
        )
    return page("Settings", intro, *sections)


def _comment(text: str) -> list[str]:
    plain = text.replace("`", "")
    return textwrap.wrap(plain, 98, initial_indent="# ", subsequent_indent="# ")


def render_env_example(compose: str) -> str:
    """.env.example: every setting, set to the compose stack's value or shown with its default."""
    lines = [
        "# Copy to .env and fill in. Every setting the incident services read, and at the end the",
        "# knobs of docker-compose.yml. A line commented out shows the default. Generated by",
        f"# `{GENERATED}`; docs/reference/settings.md says what each one does.",
    ]
    for group, settings in _by_group().items():
        lines += ["", f"# --- {group.title} ".ljust(100, "-"), *_comment(group.intro)]
        for setting in settings:
            lines += ["", *_comment(_meaning(setting))]
            env = setting.about.env
            lines.append(
                f"{setting.name}={env}"
                if env is not None
                else f"# {setting.name}={setting.default}"
            )
    lines += [
        "",
        "# --- docker-compose.yml's own knobs (not settings) ".ljust(100, "-"),
        *_comment(
            "Closed by default: Temporal and the Web UI listen on 127.0.0.1 only and the Web UI "
            "is read-only; read docs/operators/security.md before changing these."
        ),
    ]
    for name, default in compose_knobs(compose).items():
        lines += ["", *_comment(COMPOSE_KNOBS[name]), f"# {name}={default}"]
    return "\n".join(lines) + "\n"
