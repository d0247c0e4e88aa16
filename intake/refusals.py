"""How the intake says no: an HTTP status and one sentence, shown to the sender and logged.

    raise Refused(400, "The body is missing deduplication_key.")

400 malformed · 401 no credential · 403 a wrong credential, or a URL or topic not allowed · 404 an
unknown heartbeat · 405 wrong method · 413 too large · 503 try again later (the sender retries:
Temporal or a certificate could not be reached). A sentence never holds a secret or a token.
"""

from __future__ import annotations


class Refused(Exception):
    """The request is not accepted and nothing was forwarded."""

    def __init__(self, status: int, sentence: str, *, detail: str = "") -> None:
        super().__init__(sentence)
        self.status = status
        self.sentence = sentence
        self.detail = detail  # logged, never shown to the sender


def malformed(sentence: str) -> Refused:
    return Refused(400, sentence)


def forbidden(sentence: str) -> Refused:
    return Refused(403, sentence)


def shown(value: object, limit: int = 60) -> str:
    """A sender's value quoted in a sentence or a log line: one line, at most ``limit`` long."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
