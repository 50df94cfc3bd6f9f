"""Ingest's messages onto Kafka: articles keyed by id, dead letters keyed by file path.

Each send returns at once and reports its outcome through a callback, so many files are in
flight together; the producer (acks=all, idempotent) is the shared one.
"""

from kafka import KafkaProducer
from kafka.errors import KafkaError, MessageSizeTooLargeError
from pydantic import BaseModel

from newswire.messages import DeadLetter, RawArticle
from newswire_ingest.ports import Delivered, MessageTooLargeError


class KafkaPublisher:
    def __init__(self, producer: KafkaProducer, raw_topic: str, dlq_topic: str) -> None:
        self._producer = producer
        self._raw_topic = raw_topic
        self._dlq_topic = dlq_topic

    def publish_article(self, article: RawArticle, delivered: Delivered) -> None:
        self._send(self._raw_topic, article.id, article, delivered)

    def publish_dead_letter(self, letter: DeadLetter, key: str, delivered: Delivered) -> None:
        self._send(self._dlq_topic, key, letter, delivered)

    def _send(self, topic: str, key: str, message: BaseModel, delivered: Delivered) -> None:
        try:
            future = self._producer.send(
                topic, key=key.encode(), value=message.model_dump_json().encode()
            )
        except KafkaError as error:  # refused before sending: too large, or no metadata in time
            delivered(_in_our_terms(error))
            return
        future.add_callback(lambda _metadata: delivered(None))
        future.add_errback(lambda error: delivered(_in_our_terms(error)))


def _in_our_terms(error: BaseException) -> BaseException:
    if isinstance(error, MessageSizeTooLargeError):
        return MessageTooLargeError(str(error))
    return error
