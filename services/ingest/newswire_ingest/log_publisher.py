"""Ingest's messages onto the event log: articles keyed by id, dead letters keyed by file path.

Each send returns at once and reports its outcome through a callback, so many files are in
flight together; the producer (Kafka's acks=all and idempotent, or the embedded log's durable
group commit) is the shared one. A send the log refuses for good (Kafka: a password or an ACL,
`KafkaAccessError`) is also told to `on_refused`: trying the file again cannot help, so ingest
stops with the reason instead of retrying.
"""

from collections.abc import Callable
from concurrent.futures import Future

from pydantic import BaseModel

from newswire.adapters.kafka_access import KafkaAccessError
from newswire.event_log import EventProducer
from newswire.messages import DeadLetter, RawArticle
from newswire_ingest.ports import Delivered


class LogPublisher:
    def __init__(
        self,
        producer: EventProducer,
        raw_topic: str,
        dlq_topic: str,
        on_refused: Callable[[str], None] = lambda reason: None,
    ) -> None:
        self._producer = producer
        self._raw_topic = raw_topic
        self._dlq_topic = dlq_topic
        self.on_refused = on_refused

    def publish_article(self, article: RawArticle, delivered: Delivered) -> None:
        self._send(self._raw_topic, article.id, article, delivered)

    def publish_dead_letter(self, letter: DeadLetter, key: str, delivered: Delivered) -> None:
        self._send(self._dlq_topic, key, letter, delivered)

    def _send(self, topic: str, key: str, message: BaseModel, delivered: Delivered) -> None:
        sent = self._producer.send(topic, key.encode(), message.model_dump_json().encode())

        def report(outcome: "Future[None]") -> None:
            error = outcome.exception()
            if isinstance(error, KafkaAccessError):
                self.on_refused(str(error))
            delivered(error)

        sent.add_done_callback(report)
