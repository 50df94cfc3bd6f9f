"""Real Kafka and Elasticsearch servers for machines without Docker.

Both run from Maven Central jars as ordinary JVM processes on loopback: Maven fetches the jars
into a cache outside the repository, and each server gets a data directory, a log file and a pid
file under `DevServicesSettings.home`. `newswire dev-services up|down|status` drives them.
"""
