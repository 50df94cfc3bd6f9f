"""What a client may ask of the search API: typed, bounded parameters and the paging cursor.

Pure data and validation, no I/O: the HTTP layer reads these from the query string (unknown
parameters are refused, so a misspelt filter is not silently ignored) and each search back-end
(`newswire_api.search`) turns them into queries of its own. The cursor is the same on both.
"""

import base64
import binascii
import hashlib
import json
from datetime import date
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from newswire.enriched import EntityLabel

MAX_PAGE_SIZE = 100
MAX_QUERY_CHARS = 500
MAX_FILTER_VALUES = 20
MAX_SIMILAR = 20
MAX_ENTITIES = 200
ENTITY_LABELS: tuple[str, ...] = get_args(EntityLabel)

SortOrder = Literal["relevance", "date"]
Interval = Literal["day", "week", "month"]
FilterValue = Annotated[str, Field(min_length=1, max_length=200)]


class InvalidSearchError(ValueError):
    """The request cannot be answered as asked; the message says what to change."""


class EntityFilter(BaseModel):
    """An article must mention this entity: by name (or a surface form), optionally by label."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: EntityLabel | None = None

    @classmethod
    def parse(cls, value: str) -> "EntityFilter":
        """`Masoud Pezeshkian`, or with a label, `PERSON:Masoud Pezeshkian`."""
        label, colon, name = value.partition(":")
        if colon and label in ENTITY_LABELS and name.strip():
            return cls(name=name.strip(), label=label)  # type: ignore[arg-type]
        return cls(name=value.strip())


class _Parameters(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class DateRange(_Parameters):
    from_date: date | None = Field(
        default=None,
        alias="from",
        description="Only articles published on or after this day (YYYY-MM-DD); articles "
        "without a publication date are left out when a range is given.",
    )
    to_date: date | None = Field(
        default=None, alias="to", description="Only articles published on or before this day."
    )

    @model_validator(mode="after")
    def _ordered(self) -> "DateRange":
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise ValueError(f"`from` ({self.from_date}) is after `to` ({self.to_date}): swap them")
        return self

    def bounds(self) -> tuple[date | None, date | None]:
        return self.from_date, self.to_date


class SearchParams(DateRange):
    q: str | None = Field(
        default=None,
        max_length=MAX_QUERY_CHARS,
        description='Words to find. `"exact phrase"`, `-excluded`, `a OR b`, parentheses; '
        "every other character is taken literally. Leave out to list everything.",
    )
    section: list[FilterValue] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only these sections (any of them; case-insensitive).",
    )
    entity: list[FilterValue] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only articles mentioning every one of these entities, by name or surface "
        "form, case-insensitive; prefix a label to be specific: `PERSON:Masoud Pezeshkian`.",
    )
    language: list[FilterValue] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only these languages (ISO 639-1, any of them).",
    )
    author: list[FilterValue] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only articles by any of these authors (case-insensitive).",
    )
    sort: SortOrder | None = Field(
        default=None,
        description="`relevance` (best match first) or `date` (newest first, undated last). "
        "Default: relevance with `q`, date without.",
    )
    interval: Interval = Field(default="month", description="Bucket width of the timeline facet.")
    size: int = Field(
        default=20, ge=1, le=MAX_PAGE_SIZE, description="Articles per page (at most 100)."
    )
    cursor: str | None = Field(
        default=None,
        max_length=2000,
        description="`next_cursor` of the previous page, with every other parameter unchanged. "
        "Facets come with the first page only.",
    )

    def entity_filters(self) -> list[EntityFilter]:
        return [EntityFilter.parse(value) for value in self.entity]

    def effective_sort(self) -> SortOrder:
        if self.sort is not None:
            return self.sort
        return "relevance" if self.q and self.q.strip() else "date"

    def result_list_key(self) -> str:
        """A digest of what defines the list of results, so a cursor fits only its own search."""
        defining = self.model_dump(
            mode="json", exclude={"size", "cursor", "interval", "sort"}, exclude_none=True
        )
        defining["sort"] = self.effective_sort()
        canonical = json.dumps(defining, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class EntitiesParams(DateRange):
    label: list[EntityLabel] = Field(
        default_factory=list, description="Only these labels (default: every label)."
    )
    section: list[FilterValue] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Count mentions in these sections only (any of them).",
    )
    size: int = Field(default=20, ge=1, le=MAX_ENTITIES, description="How many entities.")

    def counted_labels(self) -> list[str]:
        """The labels asked for, or every label; sorted, each once."""
        return sorted(set(self.label or ENTITY_LABELS))


class SimilarParams(_Parameters):
    size: int = Field(default=5, ge=1, le=MAX_SIMILAR, description="How many related articles.")


class _CursorBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    search: str
    after: tuple[int | float, str]  # the sort value (score or day), then the article id


def encode_cursor(params: SearchParams, sort_values: list[Any]) -> str:
    """The cursor to the page after the hit whose sort values are `sort_values`."""
    score_or_day, article_id = sort_values
    body = _CursorBody(search=params.result_list_key(), after=(score_or_day, article_id))
    return base64.urlsafe_b64encode(body.model_dump_json().encode()).decode().rstrip("=")


def decode_cursor(params: SearchParams) -> list[Any] | None:
    """The `search_after` values of `params.cursor`; None on the first page."""
    if params.cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(params.cursor + "=" * (-len(params.cursor) % 4))
        body = _CursorBody.model_validate_json(raw)
    except (binascii.Error, ValueError, ValidationError) as error:
        raise InvalidSearchError(
            "`cursor` is not one this API returned: pass `next_cursor` unchanged, "
            "or leave `cursor` out for the first page"
        ) from error
    if body.search != params.result_list_key():
        raise InvalidSearchError(
            "`cursor` belongs to a different search: keep `q`, the filters and `sort` as they "
            "were for the first page, or leave `cursor` out to start again"
        )
    expected = float if params.effective_sort() == "relevance" else int
    if not isinstance(body.after[0], expected) or isinstance(body.after[0], bool):
        raise InvalidSearchError("`cursor` does not fit this sort order: leave `cursor` out")
    return list(body.after)
