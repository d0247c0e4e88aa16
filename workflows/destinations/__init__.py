"""Where the incident's effects go, one module each: the base every destination declares itself
on (``base``: ``Delivery``, its ``Lane``, what a destination may read) and the destinations
beyond the built-in three (Slack's channels and messages, the status page, which are in
``workflows/model/effects.py``): its effects (``Delivery`` subclasses), their options and when
they are issued.

A destination imports the vocabulary (``workflows/vocabulary/``) and its words (``messages/``),
never the model, which imports it: ``Effect`` names every destination's effects. Pure: these run
in the workflow sandbox.
"""
