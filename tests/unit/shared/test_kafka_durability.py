"""Topics Newswire creates keep acknowledged messages through a broker's loss on a cluster, and
what in a cluster's settings would still lose them is named at start, with the fix."""

import pytest

from newswire.adapters.kafka import Replication, topic_configs, topic_replication
from newswire.adapters.kafka_durability import (
    MIN_INSYNC,
    UNCLEAN,
    DescribedTopic,
    TopicSetting,
    durability_warnings,
)
from newswire.settings import Settings

BOOTSTRAP = "k1:9092,k2:9092"


def _settings(**values: object) -> Settings:
    return Settings.model_validate(values)


@pytest.mark.parametrize(
    ("brokers", "expected"),
    [
        (1, Replication(1, None)),
        (2, Replication(2, None)),
        (3, Replication(3, 2)),
        (5, Replication(3, 2)),
    ],
)
def test_topics_get_up_to_three_replicas_and_two_in_sync_from_three_brokers(
    brokers: int, expected: Replication
) -> None:
    assert topic_replication(_settings(), brokers) == expected


def test_the_settings_win_over_the_cluster_size() -> None:
    settings = _settings(topic_replication_factor=2, topic_min_insync_replicas=2)
    assert topic_replication(settings, 5) == Replication(2, 2)
    assert topic_replication(_settings(topic_replication_factor=4), 5) == Replication(4, 2)
    assert topic_replication(_settings(topic_min_insync_replicas=1), 3) == Replication(3, 1)


def test_min_insync_is_never_more_than_the_replication_factor() -> None:
    assert topic_replication(_settings(topic_min_insync_replicas=3), 2) == Replication(2, 2)
    assert topic_replication(_settings(topic_min_insync_replicas=5), 3) == Replication(3, 3)


def test_min_insync_is_set_on_a_topic_only_when_newswire_chooses_one() -> None:
    settings = _settings()
    assert topic_configs(settings, settings.raw_topic, Replication(3, 2))[MIN_INSYNC] == "2"
    assert MIN_INSYNC not in topic_configs(settings, settings.raw_topic, Replication(1, None))


def _topic(name: str, factor: int, **configs: tuple[str, bool]) -> DescribedTopic:
    """`configs`: key with dots as underscores → (value, set on the topic itself)."""
    return DescribedTopic(
        name,
        factor,
        {key.replace("_", "."): TopicSetting(value, own) for key, (value, own) in configs.items()},
    )


def test_a_durable_cluster_gets_no_warning() -> None:
    topics = [
        _topic("articles.raw", 3, min_insync_replicas=("2", True)),
        _topic("articles.enriched", 3, min_insync_replicas=("2", False)),
    ]
    brokers = {1: {UNCLEAN: "false", MIN_INSYNC: "2"}, 2: {UNCLEAN: "false"}}
    assert durability_warnings(BOOTSTRAP, 3, topics, brokers) == []


def test_one_broker_with_replication_factor_1_gets_no_warning() -> None:
    topics = [_topic("articles.raw", 1, min_insync_replicas=("1", False))]
    assert durability_warnings(BOOTSTRAP, 1, topics, {1: {MIN_INSYNC: "1"}}) == []


def test_replication_factor_1_on_several_brokers_names_the_reassignment() -> None:
    [warning] = durability_warnings(BOOTSTRAP, 3, [_topic("articles.raw", 1)])
    assert warning.startswith("topic articles.raw has replication factor 1 on a cluster of 3")
    assert f"kafka-reassign-partitions.sh --bootstrap-server {BOOTSTRAP}" in warning
    assert "3 brokers for each partition" in warning


def test_min_insync_1_on_a_replicated_topic_names_the_command_that_raises_it() -> None:
    topics = [_topic("articles.raw", 3, min_insync_replicas=("1", True))]
    [warning] = durability_warnings(BOOTSTRAP, 3, topics)
    assert warning.startswith("topic articles.raw has min.insync.replicas=1 with replication")
    assert warning.endswith(
        f"kafka-configs.sh --bootstrap-server {BOOTSTRAP} --alter --entity-type topics "
        "--entity-name articles.raw --add-config min.insync.replicas=2"
    )


def test_the_brokers_default_min_insync_1_is_one_line_naming_the_topics_it_applies_to() -> None:
    topics = [
        _topic("articles.raw", 3, min_insync_replicas=("1", False)),
        _topic("articles.enriched", 3, min_insync_replicas=("1", False)),
        _topic("articles.dlq", 3, min_insync_replicas=("2", True)),
    ]
    [warning] = durability_warnings(BOOTSTRAP, 3, topics)
    assert warning.startswith(
        "the brokers' default min.insync.replicas=1 applies to topics articles.raw, "
        "articles.enriched "
    )
    assert "--entity-type brokers --entity-default --add-config min.insync.replicas=2" in warning


def test_unclean_leader_election_on_a_topic_names_the_topic_and_the_fix() -> None:
    topics = [_topic("articles.dlq", 1, unclean_leader_election_enable=("true", True))]
    [warning] = durability_warnings(BOOTSTRAP, 1, topics)
    assert warning.startswith("topic articles.dlq has unclean.leader.election.enable=true")
    assert warning.endswith(
        "--entity-type topics --entity-name articles.dlq --add-config "
        "unclean.leader.election.enable=false"
    )


def test_unclean_leader_election_on_brokers_is_one_line_naming_them() -> None:
    topics = [_topic("articles.raw", 3, unclean_leader_election_enable=("true", False))]
    brokers = {1: {UNCLEAN: "true"}, 2: {UNCLEAN: "false"}, 3: {UNCLEAN: "TRUE"}}
    [warning] = durability_warnings(BOOTSTRAP, 3, topics, brokers)
    assert warning.startswith("brokers 1, 3 have unclean.leader.election.enable=true")
    assert "--entity-type brokers --entity-default --add-config" in warning


def test_without_the_brokers_configs_an_inherited_unclean_election_still_shows() -> None:
    topics = [_topic("articles.raw", 3, unclean_leader_election_enable=("true", False))]
    [warning] = durability_warnings(BOOTSTRAP, 3, topics, None)
    assert warning.startswith("the brokers' default (topics articles.raw) has unclean")


def test_every_problem_of_a_topic_is_a_line_of_its_own() -> None:
    topics = [
        _topic(
            "articles.raw",
            2,
            min_insync_replicas=("1", True),
            unclean_leader_election_enable=("true", True),
        ),
        _topic("articles.enriched", 1),
    ]
    warnings = durability_warnings(BOOTSTRAP, 3, topics)
    assert [warning.split(":")[0] for warning in warnings] == [
        "topic articles.raw has min.insync.replicas=1 with replication factor 2",
        "topic articles.raw has unclean.leader.election.enable=true",
        "topic articles.enriched has replication factor 1 on a cluster of 3 brokers",
    ]
