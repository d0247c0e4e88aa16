"""Destinations beyond the built-in three (Slack's channels and messages, the status page), one
module each: its effects (``Delivery`` subclasses, ``workflows/model/delivery.py``), their
options and when they are issued. Pure: these run in the workflow sandbox."""

# The model imports each destination (its effects are members of ``Effect``): load it first, so
# that importing a destination module on its own finds the model complete.
import workflows.model  # noqa: F401
