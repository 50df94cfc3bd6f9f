"""IPTC ninjs 1.x to 3.x: IPTC's own examples (MIT licence, tests/fixtures/formats/README.md)
and the fields each generation names differently."""

import json
from datetime import UTC, date, datetime

import pytest

from newswire.enriched import Concept, Place
from newswire_enrich.article import Embargo, ParsedArticle, Publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.json_articles import parse_json, parse_json_lines
from tests.conftest import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "formats"


def only(content: str) -> ParsedArticle:
    (article,) = parse_json(content)
    assert isinstance(article, ParsedArticle)
    return article


@pytest.mark.parametrize(
    "name", ["ninjs-1.6-simple-text-article.json", "ninjs-2.2-complex-text-article.json"]
)
def test_the_body_html_and_versioncreated_are_kept(name: str) -> None:
    article = only((FIXTURES / name).read_text())

    assert article.title == "Captain of wrecked cruise ship on trial in Italy"
    assert len(article.body) == 4  # the marked-up body's paragraphs, not the one-block text
    assert article.body[0].startswith("GROSSETO, Italy (AP) -- The trial of the captain")
    assert article.publication == Publication(
        day=date(2013, 7, 9), moment=datetime(2013, 7, 9, 10, 37, tzinfo=UTC)
    )
    assert article.updated_at == datetime(2013, 7, 9, 10, 37, tzinfo=UTC)
    assert article.authors == ("Paulo Santalucia", "Frances d'Emilio")
    assert article.guid is not None
    assert article.guid.startswith("http://ninjs.example.com/newsitems/20130709")


def test_ninjs_2_rights_place_and_language() -> None:
    article = only((FIXTURES / "ninjs-2.2-complex-text-article.json").read_text())

    assert article.copyright == (
        "Copyright 2013 The News Agency, www.tna.org - all rights reserved."
    )
    assert article.located == Place(name="Grossetto, Italy")
    assert article.language == "en"


def test_ninjs_1_wire_fields() -> None:
    article = only(
        json.dumps(
            {
                "uri": "urn:example:story:1",
                "version": "4",
                "type": "text",
                "firstcreated": "2024-09-11T08:00:00Z",
                "versioncreated": "2024-09-11T09:30:00+01:00",
                "embargoed": "2024-09-12T00:00:00Z",
                "pubstatus": "usable",
                "urgency": 2,
                "headline": "Storm closes schools",
                "description_text": "Classes cancelled in three regions.",
                "body_html": "<p>Schools in three regions closed.</p><p>They reopen Monday.</p>",
                "byline": "By Eva Lind",
                "subject": [
                    {
                        "name": "weather",
                        "scheme": "http://cv.iptc.org/newscodes/mediatopic/",
                        "code": "17000000",
                    }
                ],
                "genre": [{"name": "Current", "code": "Current"}],
                "usageterms": "Not for resale",
                "ednote": "Updates with closures",
                "slugline": "WEATHER-STORM",
                "located": "Oslo",
            }
        )
    )

    assert article.title == "Storm closes schools"
    assert article.standfirst == "Classes cancelled in three regions."
    assert article.body == ("Schools in three regions closed.", "They reopen Monday.")
    assert article.publication == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 11, 8, 0, tzinfo=UTC)
    )  # firstcreated
    assert article.updated_at == datetime(2024, 9, 11, 8, 30, tzinfo=UTC)
    assert article.embargo == Embargo(datetime(2024, 9, 12, tzinfo=UTC))
    assert (article.version, article.urgency, article.pub_status) == (4, 2, "usable")
    assert article.authors == ("Eva Lind",)
    assert article.subjects == (Concept(code="medtop:17000000", name="weather"),)
    assert (article.slugline, article.usage_terms) == ("WEATHER-STORM", "Not for resale")
    assert article.editorial_note == "Updates with closures"


def test_ninjs_3_camel_case_and_subject_uris() -> None:
    article = only(
        json.dumps(
            {
                "uri": "urn:example:story:2",
                "versionCreated": "2024-09-11T09:30:00Z",
                "embargoedUntil": "2024-09-11T12:00:00Z",
                "pubStatus": "canceled",
                "headlines": [{"role": "main", "value": "Minister resigns"}],
                "bodies": [{"role": "main", "contentType": "text/plain", "value": "One.\n\nTwo."}],
                "subjects": [
                    {"name": "politics", "uri": "http://cv.iptc.org/newscodes/mediatopic/11000000"}
                ],
            }
        )
    )

    assert (article.title, article.body) == ("Minister resigns", ("One.", "Two."))
    assert article.embargo == Embargo(datetime(2024, 9, 11, 12, 0, tzinfo=UTC))
    assert article.pub_status == "canceled"
    assert article.subjects == (Concept(code="medtop:11000000", name="politics"),)


def test_ninjs_objects_in_json_lines_are_read_as_ninjs() -> None:
    line = json.dumps(
        {"uri": "u", "versioncreated": "2024-09-11", "headline": "H", "body_text": "B"}
    )
    (article,) = parse_json_lines(line + "\n")
    assert isinstance(article, ParsedArticle)
    assert (article.title, article.guid, article.item is not None) == ("H", "u", True)


def test_a_picture_object_is_not_an_article() -> None:
    with pytest.raises(UnparseableArticleError, match="ninjs picture object"):
        only('{"uri": "u", "type": "picture", "versioncreated": "2024-09-11", "headline": "H"}')
