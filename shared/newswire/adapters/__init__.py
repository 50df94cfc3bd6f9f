"""The only modules that talk to Kafka and Elasticsearch; the domain never imports them."""
