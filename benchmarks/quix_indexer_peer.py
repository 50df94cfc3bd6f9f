"""The peer of the indexer benchmark: quix-streams' ElasticsearchSink reading the same topic.

Runs in `.venv-peers` (benchmarks/peer-venv.sh), because quix-streams pins an older pydantic.
Configured like Newswire's indexer: message key as `_id`, the same mapping, checkpoints every
500 messages or 1 s. One change to the sink: its `setup()` calls `GET /`, which the local
Maven-built node does not serve (no rest-root module), so this subclass checks cluster health
instead; the write path is the sink's own.
"""

import argparse
import json
import signal
import sys
from typing import Any

from elasticsearch import Elasticsearch

# quix-streams is installed in .venv-peers only, not where mypy runs.
from quixstreams import Application  # type: ignore[import-not-found, unused-ignore]
from quixstreams.sinks.community.elasticsearch import (  # type: ignore[import-not-found, unused-ignore]
    ElasticsearchSink,
)


class HealthCheckedElasticsearchSink(ElasticsearchSink):  # type: ignore[misc, unused-ignore]
    def setup(self) -> None:
        self._client = Elasticsearch(**self._client_kwargs)
        self._client.cluster.health(wait_for_status="yellow")
        self._create_index()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", required=True)
    parser.add_argument("--elasticsearch", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--mapping-file", required=True)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    with open(args.mapping_file, encoding="utf-8") as mapping_file:
        mapping: dict[str, Any] = json.load(mapping_file)

    app = Application(
        broker_address=args.broker,
        consumer_group=args.group,
        auto_offset_reset="earliest",
        commit_interval=1.0,
        commit_every=args.batch,
    )
    topic = app.topic(args.topic, key_deserializer="bytes", value_deserializer="json")
    sink = HealthCheckedElasticsearchSink(
        url=args.elasticsearch, index=args.index, mapping=mapping, batch_size=args.batch
    )
    app.dataframe(topic).sink(sink)
    signal.signal(signal.SIGTERM, lambda *_: app.stop())
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
