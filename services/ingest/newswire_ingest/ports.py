"""What the ingest loop needs from Kafka, as an interface, so unit tests can run it on a fake."""

from collections.abc import Callable
from typing import Protocol

from newswire.messages import DeadLetter, RawArticle

Delivered = Callable[[BaseException | None], None]
"""Called once per message, from any thread: with None once Kafka acknowledged it, else with
the error that ended its delivery."""


class MessageTooLargeError(Exception):
    """Kafka will never take this message: it is over a size limit."""


class Publisher(Protocol):
    def publish_article(self, article: RawArticle, delivered: Delivered) -> None: ...

    def publish_dead_letter(self, letter: DeadLetter, key: str, delivered: Delivered) -> None: ...
