"""Markdown, with YAML front matter or without."""

from datetime import UTC, date, datetime

import pytest

from newswire_enrich.article import Publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.markdown import parse_markdown

WITH_FRONT_MATTER = """---
title: Markets rally as rates fall
date: 2024-09-11T08:30:00Z
section: business
author: [Jane Doe, John Smith]
url: https://example.com/markets
tags: [markets, rates]
summary: Stocks rose on Wednesday.
---
Shares **rose** sharply, with the [index](https://example.com) up 2%.
Traders cheered.

## Outlook

- Analysts expect more cuts.

```
code is not prose
```
"""


def test_front_matter_gives_the_metadata_and_markdown_the_plain_text_body() -> None:
    article = parse_markdown(WITH_FRONT_MATTER)
    assert article.title == "Markets rally as rates fall"
    assert article.publication == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 11, 8, 30, tzinfo=UTC)
    )
    assert article.section == "Business"
    assert article.authors == ("Jane Doe", "John Smith")
    assert article.url == "https://example.com/markets"
    assert article.tags == ("markets", "rates")
    assert article.standfirst == "Stocks rose on Wednesday."
    assert article.body == (
        "Shares rose sharply, with the index up 2%. Traders cheered.",
        "Outlook",
        "Analysts expect more cuts.",
    )


def test_a_yaml_date_without_time_is_a_day() -> None:
    article = parse_markdown("---\ntitle: T\ndate: 2024-09-11\n---\nBody.")
    assert article.publication == Publication(day=date(2024, 9, 11))


def test_without_front_matter_the_first_heading_is_the_title() -> None:
    article = parse_markdown("# The headline\n\nFirst paragraph.\n\nSecond *one*.\n")
    assert (article.title, article.body) == ("The headline", ("First paragraph.", "Second one."))
    assert article.publication is None
    assert article.section is None


def test_invalid_front_matter_is_unparseable_with_the_yaml_error() -> None:
    with pytest.raises(UnparseableArticleError, match="invalid YAML front matter"):
        parse_markdown("---\ntitle: [unclosed\n---\nBody.")


def test_an_empty_document_is_unparseable() -> None:
    with pytest.raises(UnparseableArticleError, match="empty"):
        parse_markdown("\n\n")
