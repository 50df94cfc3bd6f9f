"""What a client may ask of the search API: typed, bounded parameters and the paging cursor.

Pure data and validation, no I/O: the HTTP layer reads these from the query string (unknown
parameters are refused, so a misspelt filter is not silently ignored) and each search back-end
(`newswire_api.search`) turns them into queries of its own. `q` is parsed here once to check it
against the syntax's limits (`query_syntax`), so a query past them is a 422 on either back-end.

Cursors are the same on both back-ends: the search they belong to and the sort values to start
after, signed with the server's secret (HMAC-SHA256, `CursorCodec`), so a client can only hand
back a cursor the API made; their values are checked for type and range all the same.
"""

import base64
import binascii
import hashlib
import hmac
import json
import math
from datetime import date
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from newswire.enriched import EntityLabel
from newswire_api.query_syntax import QueryTooComplexError, parse

MAX_PAGE_SIZE = 100
MAX_QUERY_CHARS = 500
MAX_FILTER_VALUES = 20
MAX_SIMILAR = 20
MAX_ENTITIES = 200
# Elasticsearch ids are at most 512 bytes; a cursor's tie-breaker is one.
MAX_ID_BYTES = 512
# Sort values a cursor may carry: a date sort's epoch milliseconds (or the missing-date sentinel,
# Long.MIN_VALUE, which sorts undated articles last) and a relevance score.
MISSING_DATE = -(2**63)
LATEST_DAY_MS = 253_402_214_400_000  # 9999-12-31, the last day a `date` can hold
EARLIEST_DAY_MS = -62_135_596_800_000  # 0001-01-01
CURSOR_SIGNATURE_BYTES = 16
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
    provider: list[FilterValue] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only articles from any of these providers (the agency or feed, as "
        "`provider` names it; case-insensitive).",
    )
    subject: list[FilterValue] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only articles with any of these subjects, by code (`medtop:11000000`) or "
        "name (`politics`), case-insensitive.",
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

    @field_validator("q")
    @classmethod
    def _within_the_syntax_limits(cls, q: str | None) -> str | None:
        if q is not None:
            try:
                parse(q)
            except QueryTooComplexError as error:
                raise ValueError(str(error)) from None
        return q

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


class StreamParams(SearchParams):
    """`GET /articles/stream`: the search's filters, and where to resume."""

    last_event_id: str | None = Field(
        default=None,
        max_length=100,
        description="Resume after this event id, for clients that cannot send the "
        "Last-Event-ID header (the header wins when both are sent).",
    )

    def search(self) -> SearchParams:
        """The filters alone, as every stream with the same ones asks them."""
        return SearchParams.model_validate(self.model_dump(exclude={"last_event_id"}))


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


def single_valued(parameters: type[BaseModel]) -> frozenset[str]:
    """The names of the query parameters of `parameters` that take one value (not a list): a
    query string repeating one of them is refused, rather than one of its values silently
    kept (FastAPI keeps the last)."""
    return frozenset(
        field.alias or name
        for name, field in parameters.model_fields.items()
        if get_origin(field.annotation) is not list
    )


class _CursorBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    search: str
    after: tuple[int | float, str]  # the sort value (score or day), then the article id


_NOT_OURS = (
    "`cursor` is not one this API returned: pass `next_cursor` unchanged, "
    "or leave `cursor` out for the first page"
)


class CursorCodec:
    """Cursors signed with `secret`: only what this API (or another sharing the secret) made
    decodes, so a client cannot forge sort values, and every decoded value is checked."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("a cursor secret needs at least 16 bytes")
        self._secret = secret

    def encode(self, params: SearchParams, sort_values: list[Any]) -> str:
        """The cursor to the page after the hit whose sort values are `sort_values`."""
        score_or_day, article_id = sort_values
        body = _CursorBody(search=params.result_list_key(), after=(score_or_day, article_id))
        payload = body.model_dump_json().encode()
        return f"{_base64(payload)}.{_base64(self._signature(payload))}"

    def decode(self, params: SearchParams) -> list[Any] | None:
        """The `search_after` values of `params.cursor`; None on the first page. Raises
        InvalidSearchError for a cursor that is not this API's, belongs to another search or
        holds values out of range."""
        if params.cursor is None:
            return None
        encoded_payload, dot, encoded_signature = params.cursor.partition(".")
        try:
            payload = _unbase64(encoded_payload)
            signature = _unbase64(encoded_signature)
        except (binascii.Error, ValueError) as error:
            raise InvalidSearchError(_NOT_OURS) from error
        if not dot or not hmac.compare_digest(signature, self._signature(payload)):
            raise InvalidSearchError(_NOT_OURS)
        try:
            body = _CursorBody.model_validate_json(payload)
        except ValidationError as error:
            raise InvalidSearchError(_NOT_OURS) from error
        if body.search != params.result_list_key():
            raise InvalidSearchError(
                "`cursor` belongs to a different search: keep `q`, the filters and `sort` as "
                "they were for the first page, or leave `cursor` out to start again"
            )
        if not _fits(params.effective_sort(), *body.after):
            raise InvalidSearchError("`cursor` does not fit this sort order: leave `cursor` out")
        return list(body.after)

    def _signature(self, payload: bytes) -> bytes:
        return hmac.digest(self._secret, payload, "sha256")[:CURSOR_SIGNATURE_BYTES]


def _fits(sort: SortOrder, value: int | float, article_id: str) -> bool:
    """Whether a cursor's values can be sort values of a hit in this order."""
    if not 0 < len(article_id.encode()) <= MAX_ID_BYTES or isinstance(value, bool):
        return False
    if sort == "relevance":
        return isinstance(value, float) and math.isfinite(value)
    return isinstance(value, int) and (
        value == MISSING_DATE or EARLIEST_DAY_MS <= value <= LATEST_DAY_MS
    )


def _base64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unbase64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
