"""The alarm intake: monitoring alarms in over HTTP (``server``), read per sender (``senders``,
``sns``) into one notice (``alarms``) and handed to Temporal by a forwarder (``temporal_forwarder``)."""
