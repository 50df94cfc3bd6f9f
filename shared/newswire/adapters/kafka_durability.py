"""What, in a Kafka cluster's settings, can lose a message the producer saw acknowledged: one line
each, with what to run to fix it, as `newswire up|run` prints them before the services start.

A producer with acks=all is acknowledged once every in-sync replica has the write. That keeps it
through a broker's loss only when there is another replica (replication factor > 1 on a cluster
of several brokers), when "every in-sync replica" cannot shrink to one (`min.insync.replicas` ≥
2), and when a replica that missed writes may not become leader (no unclean leader election,
which trades acknowledged messages for availability). `durability_warnings` decides from what
the cluster describes (no I/O, so every case is unit-tested, a cluster's too);
`read_durability_warnings` asks the cluster, and never stops a start: a configuration it cannot
read (a missing DescribeConfigs right, a broker too old) is logged at DEBUG and left out.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError

from newswire.adapters.kafka import new_admin
from newswire.event_log import EventLogError
from newswire.settings import Settings

log = logging.getLogger(__name__)

MIN_INSYNC = "min.insync.replicas"
UNCLEAN = "unclean.leader.election.enable"
CHECKED = (MIN_INSYNC, UNCLEAN)
# describe_configs' config_source of a value set on the topic itself (else it is inherited).
_TOPIC_SOURCES = {"TOPIC_CONFIG", "DYNAMIC_TOPIC_CONFIG"}
# A warning is not worth a long wait at start: a cluster this slow to answer fails the services'
# start anyway, and they say why.
DESCRIBE_TIMEOUT_MS = 10_000
_CONFIGS = "kafka-configs.sh --bootstrap-server {bootstrap} --alter"


@dataclass(frozen=True)
class TopicSetting:
    """A topic's value of one configuration, and whether the topic sets it (else: the broker's
    default applies)."""

    value: str
    own: bool


@dataclass(frozen=True)
class DescribedTopic:
    """A Newswire topic as the cluster describes it: its fewest replicas of any partition, and
    its values of the `CHECKED` configurations."""

    name: str
    replication_factor: int
    configs: Mapping[str, TopicSetting] = field(default_factory=dict)

    def value(self, key: str, own: bool | None = None) -> str | None:
        """The topic's value of `key` (only if set on the topic / only if inherited, by `own`)."""
        setting = self.configs.get(key)
        if setting is None or (own is not None and setting.own != own):
            return None
        return setting.value


def durability_warnings(
    bootstrap: str,
    brokers: int,
    topics: Sequence[DescribedTopic],
    broker_configs: Mapping[int, Mapping[str, str]] | None = None,
) -> list[str]:
    """The lines to print about `topics` on a cluster of `brokers` (`broker_configs`: each
    broker's values of the `CHECKED` configurations, when they could be read)."""
    configs = _CONFIGS.format(bootstrap=bootstrap)
    warnings: list[str] = []
    for topic in topics:
        warnings += _topic_warnings(topic, brokers, bootstrap)
    warnings += _broker_default_min_insync(topics, configs)
    warnings += _broker_unclean(topics, broker_configs or {}, configs)
    return warnings


def _topic_warnings(topic: DescribedTopic, brokers: int, bootstrap: str) -> list[str]:
    warnings = []
    entity = (
        f"{_CONFIGS.format(bootstrap=bootstrap)} --entity-type topics --entity-name {topic.name}"
    )
    if topic.replication_factor == 1 and brokers > 1:
        wanted = min(3, brokers)
        warnings.append(
            f"topic {topic.name} has replication factor 1 on a cluster of {brokers} brokers: "
            "losing its broker loses acknowledged messages; give every partition "
            f"{wanted} replicas with a partition reassignment (kafka-reassign-partitions.sh "
            f"--bootstrap-server {bootstrap} --reassignment-json-file FILE --execute, "
            f"FILE listing {wanted} brokers for each partition), then {entity} --add-config "
            f"{MIN_INSYNC}=2"
        )
    if topic.replication_factor > 1 and topic.value(MIN_INSYNC, own=True) == "1":
        warnings.append(
            f"topic {topic.name} has {MIN_INSYNC}=1 with replication factor "
            f"{topic.replication_factor}: a write acknowledged by its leader alone is lost "
            f"with that broker; run {entity} --add-config {MIN_INSYNC}=2"
        )
    if _true(topic.value(UNCLEAN, own=True)):
        warnings.append(
            f"topic {topic.name} has {UNCLEAN}=true: a replica that missed acknowledged "
            f"messages may become its leader and drop them; run {entity} --add-config "
            f"{UNCLEAN}=false"
        )
    return warnings


def _broker_default_min_insync(topics: Sequence[DescribedTopic], configs: str) -> list[str]:
    inheriting = [
        topic.name
        for topic in topics
        if topic.replication_factor > 1 and topic.value(MIN_INSYNC, own=False) == "1"
    ]
    if not inheriting:
        return []
    return [
        f"the brokers' default {MIN_INSYNC}=1 applies to topics {', '.join(inheriting)} "
        f"(replication factor > 1): a write acknowledged by a leader alone is lost with that "
        f"broker; run {configs} --entity-type topics --entity-name TOPIC --add-config "
        f"{MIN_INSYNC}=2 for each, or set it as the default: {configs} --entity-type brokers "
        f"--entity-default --add-config {MIN_INSYNC}=2"
    ]


def _broker_unclean(
    topics: Sequence[DescribedTopic], broker_configs: Mapping[int, Mapping[str, str]], configs: str
) -> list[str]:
    brokers = sorted(
        broker for broker, values in broker_configs.items() if _true(values.get(UNCLEAN))
    )
    # Without the brokers' configurations (no DescribeConfigs on the cluster), a topic that
    # inherits the value still shows the brokers' default.
    inheriting = [topic.name for topic in topics if _true(topic.value(UNCLEAN, own=False))]
    if not (brokers or inheriting):
        return []
    where = (
        f"broker{'s' if len(brokers) > 1 else ''} {', '.join(map(str, brokers))}"
        if brokers
        else f"the brokers' default (topics {', '.join(inheriting)})"
    )
    return [
        f"{where} {'have' if len(brokers) > 1 else 'has'} {UNCLEAN}=true: a replica that missed "
        f"acknowledged messages may become a leader and drop them; run {configs} --entity-type "
        f"brokers --entity-default --add-config {UNCLEAN}=false (and remove it from "
        "server.properties)"
    ]


def _true(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "true"


def read_durability_warnings(settings: Settings) -> list[str]:
    """`durability_warnings` for Newswire's topics that exist on the cluster `settings` name;
    [] when the cluster cannot be described (why is logged at DEBUG)."""
    names = {settings.raw_topic, settings.enriched_topic, settings.dlq_topic}
    if settings.enriched_v1_topic:
        names.add(settings.enriched_v1_topic)
    try:
        admin = new_admin(
            settings,
            client_id="newswire-durability",
            bootstrap_timeout_ms=DESCRIBE_TIMEOUT_MS,
            request_timeout_ms=DESCRIBE_TIMEOUT_MS,
        )
    except (KafkaError, EventLogError, OSError) as error:
        log.debug("cluster durability unknown: %r", error)
        return []
    try:
        brokers = [int(broker["broker_id"]) for broker in admin.describe_cluster()["brokers"]]
        existing = sorted(names & set(admin.list_topics()))
        topics = _described_topics(admin, existing)
        return durability_warnings(
            settings.kafka_bootstrap_servers, len(brokers), topics, _broker_configs(admin, brokers)
        )
    except (KafkaError, EventLogError, OSError) as error:
        log.debug("cluster durability unknown: %r", error)
        return []
    finally:
        admin.close()


def _described_topics(admin: KafkaAdminClient, names: list[str]) -> list[DescribedTopic]:
    if not names:
        return []
    factors = {
        str(topic["name"]): min(
            (len(partition["replica_nodes"]) for partition in topic["partitions"]), default=0
        )
        for topic in admin.describe_topics(names)
    }
    try:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in names], config_filter="all"
        )
        configs = described.get("topic", {})
    except KafkaError as error:  # no DescribeConfigs on the topics: the replicas still tell
        log.debug("topic configurations unknown: %r", error)
        configs = {}
    return [
        DescribedTopic(name, factors.get(name, 0), _checked(configs.get(name) or {}))
        for name in names
    ]


def _checked(configs: Mapping[str, Any]) -> dict[str, TopicSetting]:
    """kafka-python's {key: {"value": …, "config_source": …}} of one topic, `CHECKED` keys only."""
    return {
        key: TopicSetting(
            str(entry.get("value")), str(entry.get("config_source")) in _TOPIC_SOURCES
        )
        for key, entry in configs.items()
        if key in CHECKED and isinstance(entry, dict) and entry.get("value") is not None
    }


def _broker_configs(admin: KafkaAdminClient, brokers: list[int]) -> dict[int, dict[str, str]]:
    """Each broker's values of the `CHECKED` configurations; {} without DescribeConfigs on the
    cluster."""
    try:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.BROKER, str(broker)) for broker in brokers],
            config_filter="all",
        )
    except KafkaError as error:
        log.debug("broker configurations unknown: %r", error)
        return {}
    return {
        int(broker): {
            key: str(entry.get("value"))
            for key, entry in (configs or {}).items()
            if key in CHECKED and isinstance(entry, dict)
        }
        for broker, configs in described.get("broker", {}).items()
    }
