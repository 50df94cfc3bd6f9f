"""The event log on Apache Kafka, configured the one way every Newswire service uses it.

Producers wait for all in-sync replicas and are idempotent, so an acknowledged message is durable
and a retried send is not written twice. Consumers never auto-commit: a service commits an offset
only after the next stage has durably taken the result (at-least-once, made explicit).
Producers and the topics Newswire creates share one size limit, so what one sends the other takes.

Every client is made here, by `new_producer`, `new_consumer` and `new_admin`, from one set of
connection options (`connection_options`: the brokers, TLS, SASL), so no client can forget them;
a client that cannot connect or is refused says why, in one line, and which setting fixes it
(`newswire.adapters.kafka_access`).

Topics are configured for their use when Newswire creates them (`topic_configs`): the raw topic
keeps every message (`retention.ms=-1`: re-enrichment replays it all), the enriched topic is
compacted by key (the latest message of each story; a tombstone deletes one), the dead-letter
topic keeps the broker's default retention. Topics that exist already are left as they are, with
a warning when they are configured otherwise.

On a cluster they are made to survive a broker's loss (`topic_replication`): as many replicas as
the cluster has brokers, up to 3, and `min.insync.replicas=2` with 3 or more, so a write the
producer (acks=all) saw acknowledged is on two brokers at least. `newswire.adapters.
kafka_durability` says at start which existing settings would still lose acknowledged messages.
"""

import contextlib
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import (
    CommitFailedError,
    FencedInstanceIdError,
    IllegalGenerationError,
    KafkaError,
    MessageSizeTooLargeError,
    RebalanceInProgressError,
    TopicAlreadyExistsError,
    UnknownMemberIdError,
)
from kafka.partitioner.default import murmur2
from kafka.structs import OffsetAndMetadata, TopicPartition

from newswire.adapters.kafka_access import KafkaAccessError, access_failure, explained
from newswire.event_log import (
    CommitRefusedError,
    Committed,
    EventLogError,
    MessageTooLargeError,
    PartitionKey,
    Record,
)
from newswire.settings import Settings

log = logging.getLogger(__name__)

# kafka-python logs each connection attempt it retries at WARNING and ERROR: a refused password or
# an untrusted certificate fills a log with dozens of lines before this adapter says in one what
# is wrong (kafka_access). Its network layer is heard at NEWSWIRE_LOG_LEVEL=DEBUG only.
if os.environ.get("NEWSWIRE_LOG_LEVEL", "").upper() != "DEBUG":
    logging.getLogger("kafka.net").setLevel(logging.CRITICAL)

TOPIC_METADATA_TIMEOUT_S = 60.0
DAY_MS = 24 * 60 * 60 * 1000
# How long `find` waits for a partition's messages before deciding it has read them all.
_FIND_POLL_TIMEOUT_MS = 1000


def connection_options(settings: Settings) -> dict[str, Any]:
    """How every Kafka client of Newswire reaches the brokers: their addresses, TLS and SASL."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options |= {
            "ssl_check_hostname": settings.kafka_ssl_check_hostname,
            "ssl_cafile": _path(settings.kafka_ssl_cafile),
            "ssl_certfile": _path(settings.kafka_ssl_certfile),
            "ssl_keyfile": _path(settings.kafka_ssl_keyfile),
            "ssl_password": _secret(settings.kafka_ssl_key_password),
        }
    if settings.kafka_security_protocol.startswith("SASL_"):
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username,
            "sasl_plain_password": _secret(settings.kafka_sasl_password),
        }
    return options


def _path(path: object) -> str | None:
    return None if path is None else str(path)


def _secret(secret: Any) -> str | None:
    return None if secret is None else str(secret.get_secret_value())


@contextlib.contextmanager
def _connecting(settings: Settings) -> Iterator[None]:
    """Turns a failure to connect into a KafkaAccessError that says why (`kafka_access`)."""
    try:
        yield
    except KafkaError as error:
        raise access_failure(settings, error) from error


def new_producer(settings: Settings, **options: Any) -> KafkaProducer:
    """A producer with Newswire's connection options and `options`."""
    with _connecting(settings):
        return KafkaProducer(**connection_options(settings), **options)


def new_consumer(settings: Settings, *topics: str, **options: Any) -> KafkaConsumer:
    """A consumer with Newswire's connection options and `options` (subscribed to `topics`)."""
    with _connecting(settings):
        return KafkaConsumer(*topics, **connection_options(settings), **options)


def new_admin(settings: Settings, **options: Any) -> KafkaAdminClient:
    """An admin client with Newswire's connection options and `options`."""
    with _connecting(settings):
        return KafkaAdminClient(**connection_options(settings), **options)


def create_producer(settings: Settings, client_id: str) -> KafkaProducer:
    # acks=all with idempotence: a send is acknowledged once every in-sync replica has it (at
    # least min.insync.replicas of them), and kafka-python's retries (unbounded within
    # delivery.timeout.ms, its default) cannot write a message twice when a leader moves.
    return new_producer(
        settings,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_request_size=settings.kafka_max_message_bytes,
    )


def create_consumer(
    settings: Settings, group_id: str, topics: Iterable[str], client_id: str
) -> KafkaConsumer:
    consumer = new_consumer(
        settings,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=5000,
        max_poll_interval_ms=int(settings.consumer_max_poll_interval_s * 1000),
    )
    # Join the group only once the broker shows the topics' partitions: a topic another service
    # created a moment ago may not be in its metadata yet, and a member that joins then is
    # assigned nothing and stays idle (seen with kafka-python 3 in the e2e tests).
    names = list(topics)
    if not _partitions_shown(consumer, names):
        consumer.close()
        raise EventLogError(f"topics {names} have no partitions on the broker yet")
    consumer.subscribe(names)
    return consumer


def _partitions_shown(consumer: KafkaConsumer, topics: list[str]) -> dict[str, set[int]]:
    """Each topic's partitions, once the consumer's metadata shows them all; {} when it does not
    within TOPIC_METADATA_TIMEOUT_S (a topic made a moment ago, or missing)."""
    deadline = time.monotonic() + TOPIC_METADATA_TIMEOUT_S
    while True:
        found = {topic: consumer.partitions_for_topic(topic) for topic in topics}
        if all(found.values()):
            return {topic: set(partitions) for topic, partitions in found.items()}
        if time.monotonic() > deadline:
            return {}
        time.sleep(0.2)


@dataclass(frozen=True)
class Replication:
    """How many brokers keep each partition of a topic Newswire creates, and how many of them
    must have a write before it is acknowledged (None: the broker's default)."""

    factor: int
    min_insync: int | None

    def describe(self) -> str:
        insync = "the broker's default" if self.min_insync is None else self.min_insync
        return f"replication factor {self.factor}, min.insync.replicas {insync}"


def topic_replication(settings: Settings, brokers: int) -> Replication:
    """The replication of topics Newswire creates on a cluster of `brokers`: the settings where
    set, else min(3, brokers) replicas and, with 3 or more, min.insync.replicas 2 (a write then
    survives one broker's loss and is still accepted while one broker is down). min.insync is
    never above the replication factor: no write could be acknowledged."""
    factor = settings.topic_replication_factor or max(1, min(3, brokers))
    min_insync = settings.topic_min_insync_replicas or (2 if factor >= 3 else None)
    return Replication(factor, None if min_insync is None else min(min_insync, factor))


def topic_configs(settings: Settings, name: str, replication: Replication) -> dict[str, str]:
    """The configuration Newswire creates topic `name` with."""
    configs = {"max.message.bytes": str(settings.kafka_max_message_bytes)}
    if replication.min_insync is not None:
        configs["min.insync.replicas"] = str(replication.min_insync)
    if name == settings.raw_topic:
        configs["retention.ms"] = "-1"  # every raw message, for re-enrichment
    elif name == settings.enriched_topic:
        configs["cleanup.policy"] = "compact"  # the latest message per story; tombstones delete
        # A kill (tombstone) stays readable this long after compaction: a consumer offline for
        # less than a week still sees it (the broker's default is one day).
        configs["delete.retention.ms"] = str(7 * DAY_MS)
    elif name == settings.dlq_topic:
        # Dead letters are work for people (a file to fix and drop again): a month, not the
        # broker's default week, so a long weekend or a holiday does not lose them.
        configs["retention.ms"] = str(30 * DAY_MS)
    return configs


def cluster_brokers(admin: KafkaAdminClient) -> int:
    """How many brokers the cluster has registered (a broker down for now still counts: the
    replication Newswire chooses is for the cluster, not for this minute)."""
    return max(1, len(admin.describe_cluster().get("brokers") or ()))


def ensure_topics(settings: Settings, names: Iterable[str]) -> None:
    """Create the topics that do not exist yet, configured for their use; existing ones are
    left as they are (a warning says when their configuration differs)."""
    admin = new_admin(settings, client_id="newswire-admin")
    try:
        wanted = set(names)
        existing = set(admin.list_topics())
        _create_topics(settings, admin, sorted(wanted - existing))
        _warn_about_other_configs(settings, admin, sorted(wanted & existing))
    finally:
        admin.close()


def _create_topics(settings: Settings, admin: KafkaAdminClient, names: list[str]) -> None:
    if not names:
        return
    brokers = cluster_brokers(admin)
    replication = topic_replication(settings, brokers)
    for name in names:
        topic = NewTopic(
            name,
            settings.topic_partitions,
            replication.factor,
            topic_configs=topic_configs(settings, name, replication),
        )
        try:
            admin.create_topics([topic])
        except TopicAlreadyExistsError:
            continue  # another replica created it meanwhile
        log.info(
            "created topic %s: %d partitions, %s (brokers in the cluster: %d)",
            name,
            settings.topic_partitions,
            replication.describe(),
            brokers,
        )


def _warn_about_other_configs(
    settings: Settings, admin: KafkaAdminClient, names: list[str]
) -> None:
    """Name the existing topics whose retention or cleanup policy is not what Newswire would
    create them with (a topic made by an older Newswire, or by hand)."""
    checked = {"retention.ms", "cleanup.policy", "delete.retention.ms"}
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    if not resources:
        return
    try:
        described = admin.describe_configs(resources, config_filter="all")
    except KafkaError as error:  # only a warning: never a reason not to start
        log.debug("topic configurations unknown: %r", error)
        return
    for name, configs in _by_topic(described).items():
        # Retention and cleanup do not depend on the replication: any will do here.
        configs_made = topic_configs(settings, name, Replication(1, None))
        wanted = {k: v for k, v in configs_made.items() if k in checked}
        wanted.setdefault("cleanup.policy", "delete")
        found = {key: configs.get(key) for key in wanted}
        if found != wanted:
            log.warning(
                "topic %s exists with %s where Newswire creates it with %s: change it with "
                "kafka-configs --alter if that was not on purpose",
                name,
                found,
                wanted,
            )


def _by_topic(described: object) -> dict[str, dict[str, str]]:
    """kafka-python's answer to describe_configs, as {topic: {key: value}}."""
    topics: dict[str, dict[str, str]] = {}
    if not isinstance(described, dict):
        return topics
    for resources in described.values():
        for name, configs in (resources or {}).items():
            topics[str(name)] = {
                str(key): str(data.get("value") if isinstance(data, dict) else data)
                for key, data in (configs or {}).items()
            }
    return topics


def _in_our_terms(settings: Settings, error: BaseException) -> BaseException:
    if isinstance(error, MessageSizeTooLargeError):
        return MessageTooLargeError(str(error))
    if isinstance(error, KafkaError) and (reason := explained(settings, error)) is not None:
        return KafkaAccessError(reason)
    return error


@contextlib.contextmanager
def _access_errors_as_ours(settings: Settings) -> Iterator[None]:
    """A refusal (credentials, ACLs) as a KafkaAccessError that says so; other errors as they
    are, for the loops that know what to do with them."""
    try:
        yield
    except KafkaError as error:
        reason = explained(settings, error)
        if reason is None:
            raise
        raise KafkaAccessError(reason) from error


@contextlib.contextmanager
def _kafka_errors_as_ours(settings: Settings) -> Iterator[None]:
    try:
        yield
    except KafkaAccessError:
        raise
    except KafkaError as error:
        failure = access_failure(settings, error)
        if isinstance(failure, KafkaAccessError):
            raise failure from error
        raise EventLogError(f"Kafka at {settings.kafka_bootstrap_servers}: {error!r}") from error


class KafkaEventProducer:
    def __init__(self, producer: KafkaProducer, settings: Settings) -> None:
        self._producer = producer
        self._settings = settings

    def send(self, topic: str, key: bytes | None, value: bytes | None) -> "Future[None]":
        delivery: Future[None] = Future()
        try:
            sent = self._producer.send(topic, key=key, value=value)
        except KafkaError as error:  # refused before sending: too large, or no metadata in time
            delivery.set_exception(_in_our_terms(self._settings, error))
            return delivery
        sent.add_callback(lambda _metadata: delivery.set_result(None))
        sent.add_errback(lambda error: delivery.set_exception(_in_our_terms(self._settings, error)))
        return delivery

    def flush(self) -> None:
        self._producer.flush()

    def close(self, timeout_s: float | None = None) -> None:
        self._producer.close(timeout=timeout_s)


# What a commit raises when the group moved (or is moving) this member's partitions: kafka-python
# 3 raises the broker's own error for a rebalance in progress (seen killing the indexer in a
# full-corpus run) where kafka-python 2 said CommitFailedError. The member reads again from the
# last commit after the rebalance; the replay is harmless.
_PARTITIONS_MOVED = (
    CommitFailedError,
    RebalanceInProgressError,
    IllegalGenerationError,
    UnknownMemberIdError,
    FencedInstanceIdError,
)


class KafkaEventConsumer:
    def __init__(self, consumer: KafkaConsumer, settings: Settings) -> None:
        self._consumer = consumer
        self._settings = settings

    def poll(self, timeout_s: float, max_records: int) -> list[ConsumerRecord]:
        with _access_errors_as_ours(self._settings):
            polled = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        return [record for records in polled.values() for record in records]

    def commit(
        self,
        next_offsets: Mapping[PartitionKey, int],
        notes: Mapping[PartitionKey, str] | None = None,
    ) -> None:
        notes = notes or {}
        offsets = {
            TopicPartition(*where): OffsetAndMetadata(offset, notes.get(where, ""), -1)
            for where, offset in next_offsets.items()
        }
        try:
            with _access_errors_as_ours(self._settings):
                self._consumer.commit(offsets)
        except _PARTITIONS_MOVED as error:
            raise CommitRefusedError(str(error)) from error

    def committed_notes(self, partitions: Iterable[PartitionKey]) -> dict[PartitionKey, Committed]:
        found = {}
        with _kafka_errors_as_ours(self._settings):
            for where in partitions:
                committed = self._consumer.committed(TopicPartition(*where), metadata=True)
                if committed is not None and committed.offset >= 0:
                    found[where] = Committed(int(committed.offset), committed.metadata or "")
        return found

    def keep_alive(self) -> None:
        # A poll with every partition paused fetches nothing but does what keeps a member in
        # its group (the poll timer of max.poll.interval.ms, a rebalance's rejoin).
        paused = self._consumer.assignment() - self._consumer.paused()
        self._consumer.pause(*paused)
        try:
            self._consumer.poll(timeout_ms=0, max_records=1)
        finally:
            self._consumer.resume(*(paused & self._consumer.assignment()))

    def assignment(self) -> set[PartitionKey]:
        return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def pause_all(self) -> None:
        self._consumer.pause(*self._consumer.assignment())

    def resume_all(self) -> None:
        self._consumer.resume(*self._consumer.paused())

    def seek(self, topic: str, partition: int, offset: int) -> None:
        self._consumer.seek(TopicPartition(topic, partition), offset)

    def lag(self) -> int:
        lag = 0
        try:
            for partition in self._consumer.assignment():
                highwater = self._consumer.highwater(partition)
                if highwater is None:  # not fetched from yet: the broker knows, 0 would be a guess
                    highwater = self._consumer.end_offsets([partition])[partition]
                lag += max(0, highwater - self._consumer.position(partition))
        except (KafkaError, AssertionError) as error:  # a partition revoked meanwhile, a timeout
            raise EventLogError(f"consumer lag unknown: {error!r}") from error
        return lag

    def close(self) -> None:
        self._consumer.close(autocommit=False)


class KafkaTopicReader:
    """Every partition of one topic, assigned by hand (no group membership, no rebalance);
    commits under the group id without a generation, as Kafka allows a consumer that assigns
    its partitions itself."""

    def __init__(
        self, settings: Settings, consumer: KafkaConsumer, topic: str, group_id: str | None
    ) -> None:
        self._settings = settings
        self._consumer = consumer
        self._topic = topic
        self._group_id = group_id
        with _kafka_errors_as_ours(settings):
            self._partitions = [TopicPartition(topic, p) for p in self.partitions()]
            consumer.assign(self._partitions)

    def partitions(self) -> list[int]:
        with _kafka_errors_as_ours(self._settings):
            found = _partitions_shown(self._consumer, [self._topic])
        if not found:
            raise EventLogError(f"{self._topic!r} has no partitions on the broker")
        return sorted(found[self._topic])

    def end_offsets(self) -> dict[int, int]:
        with _kafka_errors_as_ours(self._settings):
            ends = self._consumer.end_offsets(self._partitions)
        return {tp.partition: int(offset) for tp, offset in ends.items()}

    def offsets_for_time(self, timestamp_ms: int) -> dict[int, int]:
        with _kafka_errors_as_ours(self._settings):
            found = self._consumer.offsets_for_times(dict.fromkeys(self._partitions, timestamp_ms))
        ends = self.end_offsets()
        return {
            tp.partition: ends[tp.partition] if at is None else int(at.offset)
            for tp, at in found.items()
        }

    def committed(self) -> dict[int, int]:
        if self._group_id is None:
            return {}
        offsets = {}
        with _kafka_errors_as_ours(self._settings):
            for tp in self._partitions:
                committed = self._consumer.committed(tp)
                if committed is not None and committed >= 0:
                    offsets[tp.partition] = int(committed)
        return offsets

    def seek(self, partition: int, offset: int) -> None:
        self._consumer.seek(TopicPartition(self._topic, partition), offset)

    def poll(self, timeout_s: float, max_records: int) -> list[ConsumerRecord]:
        with _kafka_errors_as_ours(self._settings):
            polled = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        return [record for records in polled.values() for record in records]

    def commit(self, next_offsets: Mapping[int, int]) -> None:
        if self._group_id is None:
            raise EventLogError("a reader without a group has no offsets to commit")
        with _kafka_errors_as_ours(self._settings):
            self._consumer.commit(
                {
                    TopicPartition(self._topic, p): OffsetAndMetadata(offset, "", -1)
                    for p, offset in next_offsets.items()
                }
            )

    def close(self) -> None:
        self._consumer.close(autocommit=False)


class KafkaEventLog:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def describe(self) -> str:
        return f"Kafka at {self._settings.kafka_bootstrap_servers}"

    def ensure_topics(self, names: Iterable[str]) -> None:
        with _kafka_errors_as_ours(self._settings):
            ensure_topics(self._settings, names)

    def producer(self, client_id: str) -> KafkaEventProducer:
        with _kafka_errors_as_ours(self._settings):
            return KafkaEventProducer(create_producer(self._settings, client_id), self._settings)

    def consumer(self, group_id: str, topics: Sequence[str], client_id: str) -> KafkaEventConsumer:
        with _kafka_errors_as_ours(self._settings):
            consumer = create_consumer(self._settings, group_id, topics, client_id)
            return KafkaEventConsumer(consumer, self._settings)

    def find(self, topic: str, key: bytes) -> Record | None:
        """Reads the one partition the default partitioner puts `key` in, start to end."""
        with _kafka_errors_as_ours(self._settings):
            consumer = new_consumer(
                self._settings, client_id="newswire-find", enable_auto_commit=False
            )
            try:
                partitions = sorted(consumer.partitions_for_topic(topic) or ())
                if not partitions:
                    return None
                index = (murmur2(key) & 0x7FFFFFFF) % len(partitions)
                partition = TopicPartition(topic, partitions[index])
                consumer.assign([partition])
                consumer.seek_to_beginning(partition)
                end = consumer.end_offsets([partition])[partition]
                found: Record | None = None
                deadline = time.monotonic() + 60
                while consumer.position(partition) < end and time.monotonic() < deadline:
                    polled = consumer.poll(timeout_ms=_FIND_POLL_TIMEOUT_MS, max_records=500)
                    for record in polled.get(partition, []):
                        if record.key == key:
                            found = record
                return found
            finally:
                consumer.close(autocommit=False)

    def reader(self, topic: str, group_id: str | None, client_id: str) -> "KafkaTopicReader":
        with _kafka_errors_as_ours(self._settings):
            consumer = new_consumer(
                self._settings, group_id=group_id, client_id=client_id, enable_auto_commit=False
            )
        return KafkaTopicReader(self._settings, consumer, topic, group_id)

    def committed(self, group_id: str, topic: str, partition: int) -> int | None:
        with _kafka_errors_as_ours(self._settings):
            admin = new_admin(self._settings, client_id="newswire-admin")
            try:
                where = TopicPartition(topic, partition)
                offsets = admin.list_group_offsets({group_id: [where]}).get(group_id, {})
            finally:
                admin.close()
        committed = offsets.get(where)
        return None if committed is None or committed.offset < 0 else int(committed.offset)
