"""Ingest's messages onto the event log: articles keyed by id, dead letters keyed by file path.

Each send returns at once and reports its outcome through a callback, so many files are in
flight together; the producer (Kafka's acks=all and idempotent, or the embedded log's durable
group commit) is the shared one.
"""

from concurrent.futures import Future

from pydantic import BaseModel

from newswire.event_log import EventProducer
from newswire.messages import DeadLetter, RawArticle
from newswire_ingest.ports import Delivered


class LogPublisher:
    def __init__(self, producer: EventProducer, raw_topic: str, dlq_topic: str) -> None:
        self._producer = producer
        self._raw_topic = raw_topic
        self._dlq_topic = dlq_topic

    def publish_article(self, article: RawArticle, delivered: Delivered) -> None:
        self._send(self._raw_topic, article.id, article, delivered)

    def publish_dead_letter(self, letter: DeadLetter, key: str, delivered: Delivered) -> None:
        self._send(self._dlq_topic, key, letter, delivered)

    def _send(self, topic: str, key: str, message: BaseModel, delivered: Delivered) -> None:
        sent = self._producer.send(topic, key.encode(), message.model_dump_json().encode())

        def report(outcome: "Future[None]") -> None:
            delivered(outcome.exception())

        sent.add_done_callback(report)
