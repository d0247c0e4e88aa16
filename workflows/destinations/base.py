"""How an effect reaches its destination: the base every kind of effect declares it on.

A destination is a module in ``workflows/destinations/`` declaring its effects, each a
:class:`Delivery` subclass: the activity that delivers it, that activity's result, the lane it
queues in, what it makes stale, what to link to once delivered, its line in the Web UI and, for a
destination that acts on its own, which timeline entries call for it. What every effect shares
(its key, the mark of a delivery cut short) is declared here once.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

from pydantic import Field, GetCoreSchemaHandler
from pydantic_core import core_schema

from workflows.vocabulary.basics import Model

if TYPE_CHECKING:
    from workflows.model.state import IncidentState
    from workflows.vocabulary.policy import Policy
    from workflows.vocabulary.timeline import TimelineEntry


@dataclass(frozen=True)
class Lane:
    """The queue an effect waits in (``workflows/lanes.py``): its destination's ``kind`` and, when
    the destination has many, which one (``name``: the people messaged, a repository).

    Kept as text where it is recorded (``LaneBacklog.lane``) and shown:

    >>> str(Lane("incident-channel")), str(Lane("github", "wellcomecollection/docs"))
    ('incident-channel', 'github:wellcomecollection/docs')
    """

    kind: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind

    @classmethod
    def recorded(cls, text: str) -> Lane:
        """A lane from its text, as a recorded state holds it: ``str(lane)`` read back."""
        kind, _, name = text.partition(":")
        return cls(kind, name)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        from_text = core_schema.no_info_after_validator_function(
            cls.recorded, core_schema.str_schema()
        )
        return core_schema.json_or_python_schema(
            json_schema=from_text,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_text]
            ),
            serialization=core_schema.to_string_ser_schema(),
        )


class Link(Model):
    """Where people find what a destination made (a pull request, a page): `show` lists it."""

    label: str
    url: str


class IncidentView(Protocol):
    """What a destination that follows the timeline may read to decide (never change)."""

    @property
    def state(self) -> IncidentState: ...

    @property
    def timeline(self) -> list[TimelineEntry]: ...

    @property
    def policy(self) -> Policy: ...

    def retro_document(self) -> tuple[str, str]:
        """The retro as the organisation keeps it: its file name and its markdown."""
        ...


class Delivery(Model):
    """The base of every effect: how it reaches its destination.

    Subclasses set ``activity`` (its registered name) and ``result`` (the type that activity
    returns), declare their ``kind_of_effect`` (a ``Literal``: how ``Effect`` tells them apart)
    and define ``lane``. The rest is optional.
    """

    activity: ClassVar[str]
    result: ClassVar[type[Model] | None] = None
    # Where the worker finds its activities: a module with ``activities(settings)``. None for
    # the built-in destinations, which the worker makes itself.
    activities_module: ClassVar[str | None] = None
    # Its settings (fields that name them with ``setting()``), recorded in the incident's
    # policy when it starts, under the effect's ``kind_of_effect``. None: it has none.
    options: ClassVar[type[Model] | None] = None

    key: str = Field(description="unique per incident; delivery is idempotent on it")
    maybe_done: bool = Field(
        default=False,
        description="an earlier run's delivery was cut short: look for it before doing it again",
    )

    def lane(self) -> Lane:
        """The queue it waits in: one per destination (a channel, a person, a repository)."""
        raise NotImplementedError

    @classmethod
    def destination_name(cls) -> str:
        """Its ``kind_of_effect``: how it is told apart in the outbox, and its options' key."""
        return str(cls.model_fields["kind_of_effect"].default)

    @classmethod
    def options_in(cls, policy: Policy) -> Model | None:
        """Its options as recorded when the incident started; None when it was off then."""
        recorded = policy.destinations.get(cls.destination_name())
        if cls.options is None or recorded is None:
            return None
        return cls.options.model_validate(recorded)

    def supersedes(self, older: Delivery) -> bool:
        """True when this makes ``older``, queued in the same lane and undelivered, stale."""
        return False

    def links_the_channel(self) -> bool:
        """True when it names the incident channel from another lane: it waits (holding its
        lane) while the channel is being opened, rather than going out without the link."""
        return False

    def delivered(self, result: Model | None) -> Link | None:
        """What people should find once it is delivered; None when nothing to link to."""
        return None

    def activity_summary(self, state: IncidentState, policy: Policy) -> str:
        """What it delivers where, on one short line: its activity's summary in the Temporal Web
        UI ("status page post: identified"), in words from its destination's words module.
        Never what it says, so never a security incident's title. ``state`` and ``policy`` name
        the places it goes (the incident's channel, the platform channel). Every destination
        says its own; this default, its destination and key, is only a line rather than none."""
        return f"{self.destination_name().replace('_', ' ')} {self.key}"

    @classmethod
    def follows(cls, incident: IncidentView, entry: TimelineEntry) -> Sequence[Self]:
        """The effects a timeline entry calls for (their ``key`` is filled in when issued); only
        destinations that act on their own, rather than on a command's say, define it."""
        return ()

    @classmethod
    def follows_the_timeline(cls) -> bool:
        """True when it acts on its own: it (or a base of its) defines ``follows``."""
        return inspect.getattr_static(cls, "follows") is not inspect.getattr_static(
            Delivery, "follows"
        )
