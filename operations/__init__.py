"""Running the service: the local stack (``dev``), the codec server the Web UI decrypts
through (``codec_server``) and the worker's log format (``logs``)."""
