"""A consumer of `articles.enriched` that is not Newswire's: kafka-python and a JSON Schema
validator (jsonschema-rs), nothing imported from Newswire.

It reads the topic from the beginning in a consumer group of its own, validates every message
against the committed JSON Schema (schemas/enriched-article.v2.json), checks that each key is
the story id the message carries, and folds the messages into the latest version of each story
(a greater `version_order` is later; a tombstone, a null value, deletes the story). It stops once
it has read what the topic held when it started, commits, prints a summary as one JSON object
and exits 1 when any message was invalid.

    pip install -r requirements.txt
    python consume_enriched.py --bootstrap-servers localhost:9092 \\
        --schema ../../../schemas/enriched-article.v2.json

On a secured cluster (docs/deploy.md), add e.g. `--security-protocol SASL_SSL --sasl-mechanism
SCRAM-SHA-512 --sasl-username consumer --sasl-password-file consumer.password --ssl-cafile
ca.crt`, or `--security-protocol SSL --ssl-certfile me.crt --ssl-keyfile me.key` for mutual TLS.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
from kafka import KafkaConsumer, TopicPartition


def security_options(args: argparse.Namespace) -> dict[str, Any]:
    """kafka-python's TLS and SASL options from the command line."""
    options: dict[str, Any] = {"security_protocol": args.security_protocol}
    if args.security_protocol in ("SSL", "SASL_SSL"):
        options |= {
            "ssl_cafile": args.ssl_cafile,
            "ssl_certfile": args.ssl_certfile,
            "ssl_keyfile": args.ssl_keyfile,
        }
    if args.security_protocol.startswith("SASL_"):
        password = args.sasl_password_file.read_text(encoding="utf-8").rstrip("\r\n")
        options |= {
            "sasl_mechanism": args.sasl_mechanism,
            "sasl_plain_username": args.sasl_username,
            "sasl_plain_password": password,
        }
    return options


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap-servers", default="localhost:9092")
    parser.add_argument("--topic", default="articles.enriched")
    parser.add_argument("--group", default="example-python-consumer")
    parser.add_argument("--schema", type=Path, required=True)
    security = parser.add_argument_group("a secured cluster")
    security.add_argument(
        "--security-protocol",
        default="PLAINTEXT",
        choices=["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"],
    )
    security.add_argument("--sasl-mechanism", default="SCRAM-SHA-512")
    security.add_argument("--sasl-username")
    security.add_argument(
        "--sasl-password-file", type=Path, help="a file holding the password (never an argument)"
    )
    security.add_argument(
        "--ssl-cafile", help="PEM file of the CA that signed the brokers' certificates"
    )
    security.add_argument("--ssl-certfile", help="client certificate (mutual TLS)")
    security.add_argument("--ssl-keyfile", help="its private key")
    args = parser.parse_args()

    validator = jsonschema_rs.validator_for(json.loads(args.schema.read_text(encoding="utf-8")))
    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap_servers,
        group_id=args.group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **security_options(args),
    )
    partitions = [TopicPartition(args.topic, p) for p in consumer.partitions_for_topic(args.topic)]
    consumer.assign(partitions)
    ends = consumer.end_offsets(partitions)
    summary = {"messages": 0, "tombstones": 0, "invalid": 0, "key_mismatches": 0}
    latest: dict[str, dict[str, Any]] = {}
    while any(consumer.position(p) < ends[p] for p in partitions):
        for records in consumer.poll(timeout_ms=1000).values():
            for record in records:
                summary["messages"] += 1
                key = record.key.decode("utf-8")
                if record.value is None:
                    summary["tombstones"] += 1
                    latest.pop(key, None)
                    continue
                article = json.loads(record.value)
                errors = list(validator.iter_errors(article))
                if errors:
                    summary["invalid"] += 1
                    print(
                        f"{record.topic}/{record.partition}/{record.offset}: {errors[0]}",
                        file=sys.stderr,
                    )
                if article.get("id") != key:
                    summary["key_mismatches"] += 1
                known = latest.get(key)
                if known is None or article["version_order"] > known["version_order"]:
                    latest[key] = article
    consumer.commit()
    consumer.close()
    summary["stories"] = len(latest)
    summary["distinct_contents"] = len({a["content_sha256"] for a in latest.values()})
    print(json.dumps(summary))
    return 0 if summary["invalid"] == summary["key_mismatches"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
