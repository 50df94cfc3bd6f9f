"""The enrich service: parses raw articles, adds metadata and publishes to `articles.enriched`."""
