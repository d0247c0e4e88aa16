"""Where the incident's effects go, one module each: Slack (``slack``: the channel, the messages,
the standing ones), the status page (``statuspage``), GitHub (``github``), on the base every
destination declares itself on (``base``: ``Delivery``, its ``Lane``, what a destination may read).

A destination is its module here, its words in ``messages/``, its activities in ``activities/``
and its member in ``Effect`` below: the one list of destinations. The worker registers what each
one's ``activities_module`` names; the settings read each one's ``options``. A destination imports
the vocabulary (``workflows/vocabulary/``) and its words, never the model, which imports
``Effect`` from here. Pure: these run in the workflow sandbox.
"""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field

from workflows.destinations.base import Delivery
from workflows.destinations.github import ActionIssue, RetroPullRequest
from workflows.destinations.pager import Page
from workflows.destinations.slack import ChannelRequest, Notice
from workflows.destinations.statuspage import StatusPagePost

# Every destination's effects, told apart by their `kind_of_effect`.
Effect = Annotated[
    Notice | ChannelRequest | StatusPagePost | RetroPullRequest | ActionIssue | Page,
    Field(discriminator="kind_of_effect"),
]

# Every kind of effect, and those that issue effects on their own as the timeline grows.
EFFECT_TYPES: tuple[type[Delivery], ...] = get_args(get_args(Effect)[0])
FOLLOWING_THE_TIMELINE = tuple(kind for kind in EFFECT_TYPES if kind.follows_the_timeline())
