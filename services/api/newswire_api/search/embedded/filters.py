"""The search filters as SQL conditions on the embedded index's `articles` table (as `a`): one
function per filter parameter, giving the conditions its values ask for (none when it is not
given).

Values are always bound parameters, never SQL text. Keys are matched lower-cased, as the index
stores them, so filters ignore case like Elasticsearch's case-insensitive `term` queries. Adding
a filter: a field on `SearchParams`, one function here and one in the Elasticsearch back-end's
`filters.py`, each listed in its module's SEARCH_FILTERS.
"""

from collections.abc import Callable, Sequence

from newswire_api.search.embedded.query import Condition, marks
from newswire_api.search_request import DateRange, EntitiesParams, SearchParams


def section(params: SearchParams | EntitiesParams) -> list[Condition]:
    return _any_of("a.section_key", params.section)


def language(params: SearchParams) -> list[Condition]:
    return _any_of("a.language_key", params.language)


def author(params: SearchParams) -> list[Condition]:
    if not params.author:
        return []
    return [
        Condition(
            "a.rowid IN (SELECT article FROM article_authors WHERE author_key IN "
            f"({marks(params.author)}))",
            [author.casefold() for author in params.author],
        )
    ]


def provider(params: SearchParams) -> list[Condition]:
    return _keyed("provider", params.provider)


def subject(params: SearchParams) -> list[Condition]:
    """By code or by name: the index keeps both as `subject` keys."""
    return _keyed("subject", params.subject)


def entity(params: SearchParams) -> list[Condition]:
    """Every entity must be mentioned, by name or surface form (and by label if given)."""
    conditions = []
    for entity in params.entity_filters():
        if entity.label is None:
            sql, arguments = "form_key = ?", [entity.name.casefold()]
        else:
            sql, arguments = "form_key = ? AND label = ?", [entity.name.casefold(), entity.label]
        conditions.append(
            Condition(f"a.rowid IN (SELECT article FROM entity_forms WHERE {sql})", arguments)
        )
    return conditions


def published(params: DateRange) -> list[Condition]:
    """`from` / `to`: the publication day, inclusive."""
    from_date, to_date = params.bounds()
    conditions = []
    if from_date is not None:
        conditions.append(Condition("a.publication_date >= ?", [from_date.isoformat()]))
    if to_date is not None:
        conditions.append(Condition("a.publication_date <= ?", [to_date.isoformat()]))
    return conditions


SEARCH_FILTERS: tuple[Callable[[SearchParams], list[Condition]], ...] = (
    section,
    language,
    published,
    author,
    provider,
    subject,
    entity,
)
ENTITIES_FILTERS: tuple[Callable[[EntitiesParams], list[Condition]], ...] = (section, published)


def search_conditions(params: SearchParams) -> list[Condition]:
    return [condition for conditions_of in SEARCH_FILTERS for condition in conditions_of(params)]


def entities_conditions(params: EntitiesParams) -> list[Condition]:
    return [condition for conditions_of in ENTITIES_FILTERS for condition in conditions_of(params)]


def _keyed(field: str, values: Sequence[str]) -> list[Condition]:
    """Articles with any of `values` as a key of `field` in the index's `article_keys`."""
    if not values:
        return []
    return [
        Condition(
            "a.rowid IN (SELECT article FROM article_keys WHERE field = ? AND key IN "
            f"({marks(values)}))",
            [field, *(value.casefold() for value in values)],
        )
    ]


def _any_of(column: str, values: Sequence[str]) -> list[Condition]:
    if not values:
        return []
    return [Condition(f"{column} IN ({marks(values)})", [value.casefold() for value in values])]
