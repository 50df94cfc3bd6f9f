"""Feeds: one article per item (RSS 2.0 with content:encoded, Atom, JSON Feed), with the feed's
metadata, and each item's id from its own canonical form."""

import hashlib
import json
from datetime import UTC, date, datetime

from lxml import etree  # type: ignore[import-untyped]

from newswire_enrich.article import ParsedArticle, ParsedItem, Publication, RejectedItem
from newswire_enrich.parsers.feeds import parse_json_feed, parse_xml_feed
from tests.conftest import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "formats"


def articles(items: list[ParsedItem]) -> list[ParsedArticle]:
    return [item for item in items if isinstance(item, ParsedArticle)]


def test_rss_items_are_articles_with_the_feed_as_provider() -> None:
    items = parse_xml_feed((FIXTURES / "rss-2.0-content-encoded.xml").read_text())
    ferry, lifeboat = articles(items)

    assert ferry.title == "Ferry timetable changes for the winter"
    assert ferry.body == (
        "The island ferry will run four times a day from October, down from six, the operator "
        "said on Wednesday.",
        "Passengers groups said the cut would hurt commuters who travel to the mainland for work.",
    )  # content:encoded, its figure caption left out
    assert ferry.standfirst == "The island ferry will run four times a day from October."
    assert ferry.publication == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 11, 7, 30, tzinfo=UTC)
    )
    assert ferry.updated_at is None  # RSS says when an item was published, not updated
    assert (ferry.authors, ferry.tags, ferry.guid) == (
        ("Mary Smith",),
        ("Transport",),
        "gazette-2024-0911-ferry",
    )
    assert ferry.url == "https://gazette.example.com/2024/09/ferry-timetable"
    assert (ferry.provider, ferry.language) == ("Harbour Gazette", "en-gb")
    assert ferry.copyright == "Copyright 2024 Harbour Gazette"
    assert lifeboat.body == (
        "Two sailors were rescued after their yacht lost its mast in a storm off the point.",
        "Both were taken to hospital as a precaution.",
    )  # an escaped HTML description
    assert lifeboat.authors == ("Tom Brown",)


def test_an_item_without_a_title_is_rejected_alone() -> None:
    items = parse_xml_feed((FIXTURES / "rss-2.0-content-encoded.xml").read_text())

    rejected = [item for item in items if isinstance(item, RejectedItem)]
    assert [(item.number, str(item.error)) for item in rejected] == [(3, "the item has no title")]
    assert rejected[0].text.startswith("<item")  # the item as written, for the dead letter


def test_each_feed_item_is_identified_by_its_canonical_xml() -> None:
    content = (FIXTURES / "rss-2.0-content-encoded.xml").read_text()
    ferry, _ = articles(parse_xml_feed(content))
    element = etree.fromstring(content.encode())[0].find("item")
    canonical = etree.tostring(element, method="c14n", exclusive=True, with_comments=False)

    assert ferry.item is not None
    assert (ferry.item.number, ferry.item.sha256) == (1, hashlib.sha256(canonical).hexdigest())
    # the same item in another feed, at another position, keeps its id
    other = content.replace("<title>Harbour Gazette</title>", "<title>Digest</title>")
    other = other.replace("<item>", "<item><title>Earlier</title><guid>x</guid></item><item>", 1)
    moved = next(a for a in articles(parse_xml_feed(other)) if a.title == ferry.title)
    assert moved.item is not None
    assert (moved.item.number, moved.item.sha256) == (2, ferry.item.sha256)


def test_atom_entries_with_published_updated_and_the_feed_rights() -> None:
    bridge, school = articles(parse_xml_feed((FIXTURES / "atom-1.0.xml").read_text()))

    assert bridge.title == "Council approves the new bridge"
    assert bridge.body == (
        "The town council voted 7 to 2 on Tuesday night to build a new bridge across the river.",
        "Construction is due to start next spring and to take two years.",
    )
    assert bridge.standfirst == "The council voted 7 to 2 for the river crossing."
    assert bridge.publication == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 11, 11, 15, tzinfo=UTC)
    )
    assert bridge.updated_at == datetime(2024, 9, 11, 13, 0, tzinfo=UTC)
    assert (bridge.authors, bridge.provider) == (("Ana Lopez",), "Valley Observer")
    assert bridge.copyright == "© 2024 Valley Observer"
    assert school.body == ("Twelve new teachers joined the valley's schools this week.",)
    assert school.publication == Publication(
        day=date(2024, 9, 10), moment=datetime(2024, 9, 10, 16, 0, tzinfo=UTC)
    )  # no published date: the updated one


def test_a_json_feed_of_25_items_is_25_articles_not_one_titled_with_the_feed() -> None:
    content = (FIXTURES / "json-feed-1.1-25-items.json").read_text()

    items = articles(parse_json_feed(content))

    assert len(items) == 25
    assert {item.provider for item in items} == {"Technology"}
    first = items[0]
    assert first.title == "Chip makers report results, part 1"
    assert first.body == (
        "Part 1: chip makers reported higher sales this quarter.",
        "Analysts expect the trend to continue into next year.",
    )
    assert first.publication == Publication(
        day=date(2024, 9, 2), moment=datetime(2024, 9, 2, 8, 0, tzinfo=UTC)
    )
    assert (first.authors, first.tags, first.language) == (
        ("Lee Park",),
        ("chips", "results"),
        "en-US",
    )
    canonical = json.dumps(
        json.loads(content)["items"][0], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert first.item is not None
    assert first.item.sha256 == hashlib.sha256(canonical.encode()).hexdigest()


def test_a_json_feed_item_without_title_or_summary_is_rejected_alone() -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Notes",
        "items": [{"id": "1", "content_text": "A note."}, {"id": "2", "title": "T"}],
    }
    rejected, kept = parse_json_feed(json.dumps(feed))

    assert isinstance(rejected, RejectedItem)
    assert "no title" in str(rejected.error)
    assert isinstance(kept, ParsedArticle)
    assert kept.title == "T"
