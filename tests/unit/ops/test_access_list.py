"""docs/deploy.md lists what `access.py` grants (the list the secured tests prove by use)."""

from pathlib import Path

from newswire.settings import Settings
from newswire_ops.access import OPERATOR, KafkaGrant, elasticsearch_roles, kafka_grants

DEPLOY = Path(__file__).resolve().parents[3] / "docs" / "deploy.md"


def test_every_kafka_acl_of_a_service_is_listed_in_the_deploy_guide() -> None:
    guide = DEPLOY.read_text(encoding="utf-8")
    grants = kafka_grants(Settings.model_validate({}))
    for identity, granted in grants.items():
        if identity == OPERATOR:
            continue  # "everything above"
        section = guide.split(f"**{identity}**", 1)[1].split("**", 1)[0]
        for grant in granted:
            assert f"- {grant.describe()}" in section, (identity, grant.describe())


def test_every_elasticsearch_role_is_listed_in_the_deploy_guide() -> None:
    guide = DEPLOY.read_text(encoding="utf-8").replace("\\*", "*")
    for identity, role in elasticsearch_roles(Settings.model_validate({})).items():
        if identity != OPERATOR:
            assert f"**{identity}**: {role.describe()}" in guide, identity


def test_the_operator_may_do_what_every_service_may_and_read_the_topics_configs() -> None:
    settings = Settings.model_validate({})
    grants = kafka_grants(settings)
    services = {
        grant for identity, granted in grants.items() if identity != OPERATOR for grant in granted
    }
    assert set(grants[OPERATOR]) - services == {
        KafkaGrant("TOPIC", topic, ("DESCRIBE_CONFIGS",))
        for topic in (settings.raw_topic, settings.enriched_topic, settings.dlq_topic)
    }
    assert services <= set(grants[OPERATOR])
