"""What the ingest loop needs from the event log, as an interface, so unit tests can run it on a
fake."""

from collections.abc import Callable
from typing import Protocol

from newswire.event_log import MessageTooLargeError
from newswire.messages import DeadLetter, RawArticle

__all__ = ["Delivered", "MessageTooLargeError", "Publisher"]

Delivered = Callable[[BaseException | None], None]
"""Called once per message, from any thread: with None once the log acknowledged it, else with
the error that ended its delivery."""


class Publisher(Protocol):
    def publish_article(self, article: RawArticle, delivered: Delivered) -> None: ...

    def publish_dead_letter(self, letter: DeadLetter, key: str, delivered: Delivered) -> None: ...
