"""The search API on Elasticsearch: read-only queries behind the articles alias."""

from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from newswire.enriched import EnrichedArticle
from newswire.settings import Settings
from newswire_api.ports import ArticleNotFoundError
from newswire_api.responses import (
    EntitiesResponse,
    SearchResponse,
    SectionsResponse,
    SimilarResponse,
)
from newswire_api.search_query import entities_body, search_body, sections_body, similar_body
from newswire_api.search_request import (
    EntitiesParams,
    SearchParams,
    SimilarParams,
    decode_cursor,
)
from newswire_api.search_results import counts, entity_counts, search_response, similar_hits

# Elasticsearch ids are at most 512 bytes: a longer one cannot name an article.
MAX_ID_BYTES = 512
SIMILAR_BY_TOP_ENTITIES = 5


def create_search_client(settings: Settings) -> Elasticsearch:
    # No retries: a person is waiting, and the search either answers in time or the API says
    # so (503). One pooled connection per worker thread of the HTTP layer (40 in AnyIO's pool).
    return Elasticsearch(
        settings.elasticsearch_url,
        request_timeout=settings.api_search_timeout_s,
        max_retries=0,
        retry_on_timeout=False,
        connections_per_node=40,
    )


class ElasticsearchArticleSearch:
    def __init__(self, client: Elasticsearch, alias: str) -> None:
        self._client = client
        self._alias = alias

    def search(self, params: SearchParams) -> SearchResponse:
        body = search_body(params, decode_cursor(params))
        return search_response(params, self._search(body))

    def article(self, article_id: str) -> EnrichedArticle:
        return EnrichedArticle.model_validate(self._stored(article_id)["_source"])

    def similar(self, article_id: str, params: SimilarParams) -> SimilarResponse:
        stored = self._stored(article_id)
        top_entities = [entity["name"] for entity in stored["_source"].get("entities", [])]
        body = similar_body(
            stored["_index"], article_id, top_entities[:SIMILAR_BY_TOP_ENTITIES], params.size
        )
        return SimilarResponse(article_id=article_id, similar=similar_hits(self._search(body)))

    def entities(self, params: EntitiesParams) -> EntitiesResponse:
        aggregation = self._search(entities_body(params))["aggregations"]["entities"]
        return EntitiesResponse(entities=entity_counts(aggregation)[: params.size])

    def sections(self) -> SectionsResponse:
        aggregations = self._search(sections_body())["aggregations"]
        return SectionsResponse(sections=counts(aggregations["sections"]))

    def is_ready(self) -> bool:
        """Elasticsearch answers and the alias exists (connection errors propagate)."""
        return bool(self._client.indices.exists_alias(name=self._alias))

    def close(self) -> None:
        self._client.close()

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._client.search(index=self._alias, body=body).body
        return result

    def _stored(self, article_id: str) -> dict[str, Any]:
        if len(article_id.encode()) > MAX_ID_BYTES:
            raise ArticleNotFoundError(article_id)
        try:
            stored: dict[str, Any] = self._client.get(index=self._alias, id=article_id).body
        except NotFoundError as error:
            if isinstance(error.body, dict) and error.body.get("found") is False:
                raise ArticleNotFoundError(article_id) from error
            raise  # the index itself is missing
        return stored
