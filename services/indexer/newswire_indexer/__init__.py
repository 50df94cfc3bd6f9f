"""The indexer service: writes enriched articles to Elasticsearch behind the `articles` alias."""
