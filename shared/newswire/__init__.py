"""Newswire's common library, the ground floor every service stands on: settings, the messages
and the enriched-article contract, the ports (event log) and their adapters (Kafka, the embedded
SQLite log and index, Elasticsearch index administration). It imports no service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newswire")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
