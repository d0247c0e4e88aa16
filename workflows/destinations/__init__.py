"""Destinations beyond the built-in three (Slack's channels and messages, the status page), one
module each: its effects (``Delivery`` subclasses, ``workflows/model/delivery.py``), their
options and when they are issued. Pure: these run in the workflow sandbox."""
