"""What the search API answers: the response models its OpenAPI spec documents.

`GET /articles/{id}` answers with `newswire.enriched.EnrichedArticle` itself, the public contract;
the models here are the search-shaped views of it.
"""

from datetime import date

from pydantic import AwareDatetime, BaseModel, Field

from newswire.enriched import EntityLabel
from newswire_api.search_request import SortOrder


class ArticleSummary(BaseModel):
    """An article as a result list shows it: everything but the body and the entities."""

    id: str
    title: str
    summary: str | None = None
    section: str | None = None
    publication_date: date | None = None
    published_at: AwareDatetime | None = None
    language: str | None = None
    authors: list[str] = Field(default_factory=list)
    url: str | None = None
    reading_time_minutes: int | None = None
    updated: AwareDatetime | None = Field(
        default=None,
        description="When the story's current version was made, once it replaced an earlier "
        "one (an update or a correction); null for a story with one version.",
    )


class Highlights(BaseModel):
    """Where the query matched. HTML-escaped text with matches in `<mark>` tags."""

    title: str | None = Field(default=None, description="The whole title, matches marked.")
    standfirst: str | None = Field(default=None, description="The whole standfirst, marked.")
    body: list[str] = Field(default_factory=list, description="Best-matching body passages.")


class SearchHit(ArticleSummary):
    score: float | None = Field(description="Relevance; null when sorted by date.")
    highlights: Highlights


class Count(BaseModel):
    value: str
    count: int = Field(description="Matching articles.")


class EntityCount(BaseModel):
    name: str
    label: EntityLabel
    count: int = Field(description="Articles mentioning it.")


class TimelineBucket(BaseModel):
    start: date = Field(description="First day of the day, week (Monday) or month.")
    count: int


class Facets(BaseModel):
    sections: list[Count]
    people: list[EntityCount]
    organisations: list[EntityCount]
    places: list[EntityCount] = Field(description="Countries, cities (GPE) and other places (LOC).")
    timeline: list[TimelineBucket] = Field(
        description="Matching articles per interval, by publication date; empty intervals are "
        "left out, undated articles are not counted."
    )
    sample: int | None = Field(
        default=None,
        description="The facets and timeline were counted over this many best-matching "
        "articles only: the search matched more (a broad query; NEWSWIRE_API_FACET_SAMPLE_SIZE). "
        "Null: counted over every match.",
    )


class SearchResponse(BaseModel):
    total: int = Field(description="Matching articles, exactly or at least (`total_is_exact`).")
    total_is_exact: bool
    sort: SortOrder = Field(description="The order the hits are in.")
    hits: list[SearchHit]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
    facets: Facets | None = Field(description="On the first page only (without `cursor`).")


class SimilarResponse(BaseModel):
    article_id: str
    similar: list[SearchHit] = Field(description="Most related first; no highlights.")


class EntitiesResponse(BaseModel):
    entities: list[EntityCount] = Field(description="Most mentioned first.")


class SectionsResponse(BaseModel):
    sections: list[Count] = Field(description="Largest first.")


class Health(BaseModel):
    status: str


class Problem(BaseModel):
    """Why a request failed and what to change."""

    detail: str
    errors: list[str] = Field(
        default_factory=list, description="One line per invalid parameter, when there are any."
    )
    request_id: str | None = Field(
        default=None,
        description="This request's id, as in the `X-Request-ID` header and the server's log.",
    )


class StoryVersionSeen(BaseModel):
    version: int | None = Field(description="The document's version number, if it gives one.")
    time: AwareDatetime = Field(description="The version's time: its `updated_at`, else received.")
    received_at: AwareDatetime
    title: str
    content_sha256: str
    pub_status: str | None = None
    signals: list[str] = Field(default_factory=list)


class VersionsResponse(BaseModel):
    article_id: str
    story_key: str | None
    current_content_sha256: str | None = Field(description="The version shown now.")
    versions: list[StoryVersionSeen] = Field(description="Every version seen, newest first.")
