"""Publication dates from a document's own words, through dateparser; nothing is ever guessed.

Relative expressions ("yesterday") are refused, as are partial dates ("September 2024"): either
would make up a day the document does not state. A time counts only with its time zone.
"""

from datetime import UTC
from functools import cache

from dateparser.date import DateDataParser

from newswire_enrich.article import Publication

# Longer strings are prose, not a date; the limit also keeps dateparser's language search cheap.
MAX_DATE_LENGTH = 64


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
