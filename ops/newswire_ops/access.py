"""Who may do what: the Kafka ACLs and Elasticsearch privileges of each Newswire identity.

The one list of least privilege: `newswire dev-services up --secure` grants exactly this, the
secured tests run each service as its own user with nothing more, and docs/deploy.md lists it for
a production cluster. A right missing here shows as a refused service in those tests.

Identities: one per service (`ingest`, `enrich`, `indexer`, `api`), `consumer` (a reader of the
enriched topic: `newswire consume`, the example consumers) and `newswire` (an operator: every
right of the others, for `newswire up` on one machine and the tools: status, reindex, reenrich).
`admin` (a super user) only provisions.
"""

from dataclasses import dataclass
from typing import Literal

from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePattern,
    ResourceType,
)

from newswire.adapters.kafka import new_admin
from newswire.adapters.kafka_access import KafkaAccessError
from newswire.article_index import stories_alias
from newswire.settings import Settings

ADMIN = "admin"
OPERATOR = "newswire"
CONSUMER_GROUP_PREFIX = "consume."
"""`newswire consume --group` names the `consumer` identity may use start with this."""

Operation = Literal["READ", "WRITE", "CREATE", "DESCRIBE", "DESCRIBE_CONFIGS"]


@dataclass(frozen=True)
class KafkaGrant:
    """One ACL: `operations` on a topic or consumer group, by literal name or by prefix."""

    resource: Literal["TOPIC", "GROUP"]
    name: str
    operations: tuple[Operation, ...]
    prefixed: bool = False

    def describe(self) -> str:
        pattern = "prefix" if self.prefixed else "name"
        return f"{self.resource.lower()} {pattern} {self.name}: {', '.join(self.operations)}"


@dataclass(frozen=True)
class ElasticsearchRole:
    """An Elasticsearch role: privileges on the cluster and on index names or patterns."""

    cluster: tuple[str, ...]
    indices: tuple[str, ...]
    privileges: tuple[str, ...]

    def describe(self) -> str:
        cluster = f"cluster: {', '.join(self.cluster)}; " if self.cluster else ""
        return f"{cluster}indices {', '.join(self.indices)}: {', '.join(self.privileges)}"


def _writes(topic: str) -> KafkaGrant:
    # CREATE: the services create the topics they use when missing (a cluster where an
    # administrator creates them can leave it out).
    return KafkaGrant("TOPIC", topic, ("WRITE", "DESCRIBE", "CREATE"))


def _reads(topic: str) -> KafkaGrant:
    return KafkaGrant("TOPIC", topic, ("READ", "DESCRIBE", "CREATE"))


def kafka_grants(settings: Settings) -> dict[str, tuple[KafkaGrant, ...]]:
    """Each identity's ACLs on the topics and groups `settings` name."""
    raw, enriched, dlq = settings.raw_topic, settings.enriched_topic, settings.dlq_topic
    enriched_outputs = [_writes(enriched)]
    if settings.enriched_v1_topic:
        enriched_outputs.append(_writes(settings.enriched_v1_topic))
    grants: dict[str, tuple[KafkaGrant, ...]] = {
        "ingest": (
            # READ too: the dead-letter follower reads dead letters and finds their raw message.
            KafkaGrant("TOPIC", raw, ("READ", "WRITE", "DESCRIBE", "CREATE")),
            KafkaGrant("TOPIC", dlq, ("READ", "WRITE", "DESCRIBE", "CREATE")),
            KafkaGrant("GROUP", settings.dead_letter_group, ("READ",)),
        ),
        "enrich": (
            _reads(raw),
            *enriched_outputs,
            _writes(dlq),
            # The service's group, and `newswire reenrich`'s (`<group>-reenrich-<time>`).
            KafkaGrant("GROUP", settings.enrich_group_id, ("READ",), prefixed=True),
        ),
        "indexer": (
            _reads(enriched),
            _writes(dlq),
            KafkaGrant("GROUP", settings.indexer_group_id, ("READ",)),
        ),
        "api": (),
        "consumer": (
            KafkaGrant("TOPIC", enriched, ("READ", "DESCRIBE")),
            KafkaGrant("GROUP", CONSUMER_GROUP_PREFIX, ("READ",), prefixed=True),
        ),
    }
    # The operator's start (`newswire up`) reads the topics' configurations, and through them the
    # brokers' defaults, to warn about what can lose acknowledged messages (kafka_durability).
    topics = dict.fromkeys(
        g.name for service in grants.values() for g in service if g.resource == "TOPIC"
    )
    grants[OPERATOR] = (
        *dict.fromkeys(g for service in grants.values() for g in service),
        *(KafkaGrant("TOPIC", topic, ("DESCRIBE_CONFIGS",)) for topic in topics),
    )
    return grants


def elasticsearch_roles(settings: Settings) -> dict[str, ElasticsearchRole]:
    """Each identity's Elasticsearch role (identities without one never call Elasticsearch)."""
    alias = settings.index_alias
    # The indexer creates the indices behind both aliases (`<alias>-v<n>-…` by convention, or
    # named after the configured base) and the aliases, writes, reads its stories back,
    # refreshes, rolls the listings over.
    indices = tuple(dict.fromkeys((alias, f"{alias}-*", f"{settings.index_name}-*")))
    indexer = ElasticsearchRole((), indices, ("create_index", "manage", "write", "read"))
    return {
        "indexer": indexer,
        # Searches, stories by id, and the index version behind the alias (its mapping).
        "api": ElasticsearchRole(
            (), (alias, stories_alias(alias)), ("read", "view_index_metadata")
        ),
        # `newswire reindex` makes a new index and moves the alias: the indexer's rights.
        OPERATOR: indexer,
    }


def identities(settings: Settings) -> list[str]:
    """Every identity the secured dev-services make, the administrator first."""
    return [ADMIN, *kafka_grants(settings)]


def grant_kafka_acls(admin: Settings, settings: Settings) -> int:
    """Create, connected as `admin` (a super user), the ACLs `kafka_grants` lists for
    `settings`' topics and groups; how many. Creating an ACL that exists changes nothing."""
    acls = [
        ACL(
            principal=f"User:{identity}",
            host="*",
            operation=ACLOperation[operation],
            permission_type=ACLPermissionType.ALLOW,
            resource_pattern=ResourcePattern(
                ResourceType[grant.resource],
                grant.name,
                ACLResourcePatternType.PREFIXED
                if grant.prefixed
                else ACLResourcePatternType.LITERAL,
            ),
        )
        for identity, grants in kafka_grants(settings).items()
        for grant in grants
        for operation in grant.operations
    ]
    client = new_admin(admin, client_id="newswire-access")
    try:
        result = client.create_acls(acls)
    finally:
        client.close()
    if result.get("failed"):
        raise KafkaAccessError(f"Kafka refused ACLs: {result['failed']}")
    return len(acls)
