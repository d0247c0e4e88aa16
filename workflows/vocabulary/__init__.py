"""The words the rest is written in: statuses, severities and people (``basics``), the
organisation's policy (``policy``) and the timeline's entries (``timeline``).

Below the model and the destinations: the model (``workflows/model/``) assembles the effects of
every destination, so a destination and the sentences it uses import these modules, never the
model. This package imports nothing of the project's beyond itself. Pure: these run in the
workflow sandbox.
"""
