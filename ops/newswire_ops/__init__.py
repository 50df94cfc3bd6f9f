"""The operator layer: the `newswire` command (the composition root, the one place that imports
every service), the supervisor behind `newswire run|up`, `newswire status`, and the launcher of
the local Kafka and Elasticsearch (`newswire dev-services`).

Nothing in `newswire` (shared) or in a service imports this package.
"""
