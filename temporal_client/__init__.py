"""Talking to Temporal: the incident client every front end and the worker use (``client``), the
payload encryption its data converter applies (``codec``), and the settings read from the
environment (``settings``)."""
