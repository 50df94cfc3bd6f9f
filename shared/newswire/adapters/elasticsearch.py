"""The Elasticsearch client every Newswire service uses."""

from elasticsearch import Elasticsearch

from newswire.settings import Settings


def create_client(settings: Settings) -> Elasticsearch:
    # Retries on timeouts too: bulk writes are idempotent because `_id` is the article id.
    return Elasticsearch(
        settings.elasticsearch_url, request_timeout=30, retry_on_timeout=True, max_retries=3
    )
