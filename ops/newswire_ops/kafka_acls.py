"""`newswire kafka-acls`: create the Kafka ACLs each Newswire identity needs (`access`,
docs/deploy.md), connected with the configured settings as an administrator.

For a cluster run with the ACL authorizer and nothing allowed by default: run it once as a super
user (docker-compose.yml's `kafka-access` does), for the topic and group names the pipeline's
settings give.
"""

import argparse
import sys

from newswire.adapters.kafka_access import KafkaAccessError
from newswire.adapters.refusals import EXIT_REFUSED
from newswire.event_log import EventLogError
from newswire.settings import Settings
from newswire_ops.access import grant_kafka_acls, kafka_grants


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subcommands.add_parser(
        "kafka-acls",
        help="create the Kafka ACLs of each Newswire user (run as an administrator)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--show", action="store_true", help="print the ACLs instead of creating them"
    )
    parser.set_defaults(handler=_kafka_acls)


def _kafka_acls(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.show:
        for identity, grants in kafka_grants(settings).items():
            for grant in grants:
                print(f"User:{identity} {grant.describe()}")
        return 0
    try:
        count = grant_kafka_acls(settings, settings)
    except KafkaAccessError as error:
        print(f"newswire kafka-acls: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except EventLogError as error:
        print(f"newswire kafka-acls: {error}", file=sys.stderr)
        return 1
    print(f"{count} ACLs in place at {settings.kafka_bootstrap_servers}")
    return 0
