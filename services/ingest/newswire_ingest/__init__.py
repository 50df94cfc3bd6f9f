"""The ingest service: watches the inbox and publishes each complete file to `articles.raw`."""
