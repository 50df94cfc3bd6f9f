"""Publication dates from a document's own words, through dateparser; nothing is ever guessed.

Relative expressions ("yesterday") are refused, as are partial dates ("September 2024"): either
would make up a day the document does not state. A time counts only with its time zone.
"""

import re
from datetime import UTC, datetime
from functools import cache

from dateparser.date import DateDataParser

from newswire_enrich.article import Publication

# Longer strings are prose, not a date; the limit also keeps dateparser's language search cheap.
MAX_DATE_LENGTH = 64
# ISO 8601 as machines write it (wire formats, feeds, JSON-LD): `2018-10-21T16:25:32-05:00`,
# `20140821T043303+0000`, `2016-10-18`. A day alone is 8 or 10 characters.
_ISO_8601 = re.compile(
    r"^\d{4}-?\d{2}-?\d{2}(?:[T ]\d{2}:?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
_DAY_ONLY = 10


@cache
def _parser() -> DateDataParser:
    return DateDataParser(
        settings={
            "PARSERS": ["custom-formats", "absolute-time"],
            "REQUIRE_PARTS": ["day", "month", "year"],
            "RETURN_TIME_AS_PERIOD": True,
        }
    )


def parse_publication(text: str) -> Publication | None:
    """The publication a date string states, or None if it does not state a whole day."""
    text = text.strip()
    if not text or len(text) > MAX_DATE_LENGTH or not any(c.isdigit() for c in text):
        return None
    parsed = _parser().get_date_data(text)
    if parsed.date_obj is None:
        return None
    stated = parsed.date_obj
    if parsed.period == "time" and stated.tzinfo is not None:
        return Publication(day=stated.date(), moment=stated.astimezone(UTC))
    return Publication(day=stated.date())


def parse_timestamp(text: str) -> Publication | None:
    """A machine-written date (ISO 8601, as wire formats, feeds and JSON-LD write them), read
    exactly; anything else goes to `parse_publication`."""
    text = text.strip()
    if _ISO_8601.match(text):
        try:
            stated = datetime.fromisoformat(text.replace(",", "."))
        except ValueError:
            return None
        if len(text) <= _DAY_ONLY or stated.tzinfo is None:
            return Publication(day=stated.date())
        return Publication(day=stated.date(), moment=stated.astimezone(UTC))
    return parse_publication(text)


def parse_moment(text: str | None) -> datetime | None:
    """The timezone-aware moment a date string states, or None (a day alone is not a moment)."""
    publication = parse_timestamp(text) if text else None
    return publication.moment if publication else None
