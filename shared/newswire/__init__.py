"""Newswire's common library: settings, message models and the Kafka and Elasticsearch adapters
that every service shares, plus the `newswire` command line and the local dev-services launcher."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newswire")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
