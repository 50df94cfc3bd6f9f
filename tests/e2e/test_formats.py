"""What newsrooms receive, dropped into the inbox of a real `newswire run`: wire formats (NewsML-G2,
NITF, NewsML 1.2, ninjs), feeds (RSS, Atom, JSON Feed), news-please records, e-mailed, Word and
PDF press releases and a web page. Each becomes searchable with the right title, date, body and
provider (read back with `GET /articles/{id}`, which returns the stored enriched article), or
ends in `failed/` with a reason a person can act on."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import REPO_ROOT
from tests.support.enrichers import docx_document, pdf_document
from tests.support.pipeline import RunningPipeline, eventually, get_json, sha256_of, story_id_of

pytestmark = pytest.mark.integration

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "formats"
WAIT_S = 240.0
G2_SAMPLES = "samples/formats/newsml-g2-"


@pytest.fixture(scope="module")
def pipeline(
    tmp_path_factory: pytest.TempPathFactory, shared_dir: Path
) -> Iterator[RunningPipeline]:
    folder = tmp_path_factory.mktemp("formats")
    running = RunningPipeline(folder, "run")
    try:
        _drop_everything(running, shared_dir, tmp_path_factory.mktemp("made"))
        yield running
        output = running.stop()
        assert not running.deaths(output), running.deaths(output)
    finally:
        running.kill_everything()


def _drop_everything(pipeline: RunningPipeline, shared_dir: Path, made: Path) -> None:
    samples = shared_dir / "samples" / "formats"
    word = made / "acme-release.docx"
    word.write_bytes(
        docx_document(
            "Acme Robotics opens a warehouse robot plant",
            ["Acme Robotics opened a plant that builds warehouse robots on Tuesday."],
            "Marie Curval",
            datetime(2024, 9, 10, 8, 0, tzinfo=UTC),
        )
    )
    pdf = made / "harbour-release.pdf"
    pdf.write_bytes(
        pdf_document(
            [
                "PRESS RELEASE",
                "",
                "Harbour authority opens the quay",
                "",
                "The harbour authority opened its new deep-water quay on Monday.",
            ],
            {"Title": "Harbour authority opens the quay", "Author": "Port Press Office"}
            | {"CreationDate": "D:20240909100000Z"},
        )
    )
    # no extension: the content says what it is
    extensionless = made / "fed-item"
    extensionless.write_bytes(
        (samples / "newsml-g2-LISTING_1_A_NewsML-G2_News_Item.xml").read_bytes()
    )
    pipeline.drop(
        [
            samples / "newsml-g2-LISTING_22_Sports_story_in_NewsML-G2NITF.xml",
            samples / "newsml-g2-LISTING_6_Simple_NewsML-G2_Package.xml",
            samples / "newsml-g2-LISTING_28_Illustrating_Located_Subject_and_Dateline.xml",
            extensionless,
            FIXTURES / "newsml-g2-news-message.xml",
            FIXTURES / "nitf-3.5-ap-style.xml",
            FIXTURES / "newsml-1.2-afp-style-latin1.xml",
        ],
        "wire",
    )
    pipeline.drop(
        [
            FIXTURES / "ninjs-2.2-complex-text-article.json",
            FIXTURES / "news-please-article.json",
            FIXTURES / "rss-2.0-content-encoded.xml",
            FIXTURES / "atom-1.0.xml",
            FIXTURES / "json-feed-1.1-25-items.json",
            FIXTURES / "web-page-json-ld.html",
        ]
    )
    pipeline.drop([FIXTURES / "press-release.eml", word, pdf], "releases")


def found(pipeline: RunningPipeline, words: str, size: int = 10) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = get_json(
        pipeline.url(f"/articles/search?q={quote(words)}&size={size}")
    )["hits"]
    return hits


def stored(pipeline: RunningPipeline, title: str) -> dict[str, Any]:
    """The enriched article titled so, once it is searchable."""

    def titled() -> list[dict[str, Any]]:
        return [hit for hit in found(pipeline, title) if hit["title"] == title]

    assert eventually(lambda: bool(titled()), timeout_s=WAIT_S), (
        f"{title!r} never became searchable; failed: {reasons(pipeline)}"
    )
    article: dict[str, Any] = get_json(pipeline.url(f"/articles/{titled()[0]['id']}"))
    return article


def reasons(pipeline: RunningPipeline) -> dict[str, dict[str, Any]]:
    failed = pipeline.folder / "failed"
    return {
        path.name.removesuffix(".reason.json"): json.loads(path.read_bytes())
        for path in failed.rglob("*.reason.json")
    }


@pytest.mark.parametrize(
    ("title", "day", "provider", "body_start", "source_format"),
    [
        (
            'Fed to halt QE to avert "bubble"',
            "2016-10-18",
            "REUTERS",
            None,  # the official example's body is empty
            "newsml-g2",
        ),
        (
            "Preview: Arizona Diamondbacks (29-23) at Philadelphia Phillies (26-24), 7:05 p.m.",
            "2018-10-19",
            "www.xmlteam.com",
            "(Sports Network) - A pair of teams coming off big weekend sweeps",
            "newsml-g2",
        ),
        (
            "Bank of England cuts rates for the first time in four years",
            "2024-09-11",
            "Example Wire",
            "The Bank of England cut its main interest rate on Wednesday",
            "newsml-g2",
        ),
        (
            "Harbour cranes return to work after week-long strike",
            "2024-09-11",
            "AP",
            "ROTTERDAM, Netherlands (AP) — Cranes at Europe's largest port",
            "nitf",
        ),
        (
            "Orages : vigilance orange dans douze départements du sud-est",
            "2024-09-11",
            "AFP",
            "Douze départements du sud-est de la France ont été placés",
            "newsml-1",
        ),
        (
            "Captain of wrecked cruise ship on trial in Italy",
            "2013-07-09",
            None,  # ninjs names no provider here
            "GROSSETO, Italy (AP) -- The trial of the captain",
            "ninjs",
        ),
        (
            "Floods close the main road again",
            "2024-09-11",
            "news.example.org",
            "Floods closed the main road into the town on Wednesday",
            "news-please",
        ),
        (
            "Ferry timetable changes for the winter",
            "2024-09-11",
            "Harbour Gazette",
            "The island ferry will run four times a day from October",
            "rss",
        ),
        (
            "Council approves the new bridge",
            "2024-09-11",
            "Valley Observer",
            "The town council voted 7 to 2 on Tuesday night",
            "atom",
        ),
        (
            "Chip makers report results, part 7",
            "2024-09-08",
            "Technology",
            "Part 7: chip makers reported higher sales this quarter.",
            "json-feed",
        ),
        (
            "Acme Robotics opens its first factory in Lyon",
            "2024-09-11",
            "Acme Robotics",
            "LYON, France, 11 September 2024",
            "email",
        ),
        (
            "Acme Robotics opens a warehouse robot plant",
            "2024-09-10",
            None,  # Word documents name no provider
            "Acme Robotics opened a plant that builds warehouse robots on Tuesday.",
            "docx",
        ),
        (
            "Harbour authority opens the quay",
            "2024-09-09",
            None,
            "The harbour authority opened its new deep-water quay on Monday.",
            "pdf",
        ),
        (
            "Night trains return to the Alps",
            "2024-09-11",
            "The Alpine Times",
            "Three rail operators will add sleeper trains to the Alps from December",
            "html",
        ),
    ],
)
def test_each_format_becomes_searchable_with_its_title_date_body_and_provider(
    pipeline: RunningPipeline,
    title: str,
    day: str,
    provider: str | None,
    body_start: str | None,
    source_format: str,
) -> None:
    article = stored(pipeline, title)

    assert article["publication_date"] == day
    assert article["provider"] == provider
    assert article["provenance"]["format"] == source_format
    if body_start is None:
        assert article["body"] == []
    else:
        assert article["body"][0].startswith(body_start)


def test_wire_metadata_is_stored_with_the_article(pipeline: RunningPipeline) -> None:
    article = stored(pipeline, 'Fed to halt QE to avert "bubble"')

    assert (article["guid"], article["version"]) == (
        "urn:newsml:acmenews.com:20161018:US-FINANCE-FED",
        11,
    )
    assert (article["embargoed"], article["embargoed_until"]) == (True, "2018-10-23T12:00:00Z")
    assert (article["pub_status"], article["signals"]) == ("usable", ["update"])
    assert {"code": "medtop:20000523", "name": "labour market"} in article["subjects"]
    assert article["located"] == {"name": "Berlin", "code": "geo:345678", "country": "Germany"}
    assert article["section"] == "Wire"  # the inbox folder


def test_a_feed_of_25_items_is_25_articles(pipeline: RunningPipeline) -> None:
    def parts() -> int:
        return len(found(pipeline, "Chip makers report results", 100))

    assert eventually(lambda: parts() == 25, timeout_s=WAIT_S), parts()


def test_a_news_message_is_one_article_per_text_item_and_its_withheld_item_is_hidden(
    pipeline: RunningPipeline,
) -> None:
    # The withheld item (`stat:withheld`, embargoed until further notice) is a story of its own,
    # indexed but shown nowhere until a usable version of it comes.
    def withheld_is_known() -> bool:
        return "withheld" in pipeline.status("wire/newsml-g2-news-message.xml")

    assert eventually(withheld_is_known, timeout_s=WAIT_S), pipeline.status(
        "wire/newsml-g2-news-message.xml"
    )
    assert found(pipeline, "Sterling falls after the rate cut") == []
    assert found(pipeline, "Bank of England building") == []  # the picture item is no article


def test_refused_inputs_reach_failed_with_a_reason_to_act_on(pipeline: RunningPipeline) -> None:
    package = "newsml-g2-LISTING_6_Simple_NewsML-G2_Package.xml"
    fragment = "newsml-g2-LISTING_28_Illustrating_Located_Subject_and_Dateline.xml"
    rss_item_without_title = "rss-2.0-content-encoded.xml"

    def refused() -> bool:
        return {package, fragment, rss_item_without_title} <= reasons(pipeline).keys()

    assert eventually(refused, timeout_s=WAIT_S), reasons(pipeline)
    found_reasons = reasons(pipeline)
    assert found_reasons[package]["error_type"] == "unparseable_article"
    assert "package item only refers to other items" in found_reasons[package]["reason"]
    assert found_reasons[fragment]["error_type"] == "unknown_format"
    assert "root element is <contentMeta>" in found_reasons[fragment]["reason"]
    assert "the item has no title" in found_reasons[rss_item_without_title]["reason"]


def test_a_word_document_is_published_with_its_file_as_the_content_id(
    pipeline: RunningPipeline,
) -> None:
    article = stored(pipeline, "Acme Robotics opens a warehouse robot plant")
    processed = pipeline.folder / "processed" / "releases" / "acme-release.docx"

    assert eventually(processed.is_file, timeout_s=WAIT_S)
    assert article["content_sha256"] == sha256_of(processed)
    assert article["id"] == story_id_of("releases/acme-release.docx")
    assert article["authors"] == ["Marie Curval"]
