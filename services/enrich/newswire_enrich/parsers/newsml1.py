"""IPTC NewsML 1.2, which AFP and others still send: a `NewsML` envelope holding one or more
`NewsItem`s (several make one article each).

    <NewsItem>
      Identification/NewsIdentifier  ProviderId, DateId, NewsItemId, RevisionId, PublicIdentifier;
                                     NameLabel (the slug)
      NewsManagement                 FirstCreated, ThisRevisionCreated, Status, StatusWillChange,
                                     Urgency, Instruction
      NewsComponent (nested)         NewsLines (HeadLine, SubHeadLine, ByLine, DateLine,
                                     CopyrightLine, SlugLine, KeywordLine),
                                     AdministrativeMetadata (Provider, Creator),
                                     RightsMetadata, DescriptiveMetadata (Language, Genre,
                                     SubjectCode, Location, Property Keyword),
                                     ContentItem (MediaType Text, DataContent: NITF or text)

The encoding is whatever the file's XML declaration names (ingest decoded it so). The story's
identity across revisions (`guid`) is its PublicIdentifier without the revision, i.e.
`urn:newsml:ProviderId:DateId:NewsItemId`; the revision is `version`.
"""

import dataclasses

from lxml import etree  # type: ignore[import-untyped]

from newswire.enriched import Concept, Place
from newswire_enrich.article import Embargo, ParsedArticle, ParsedItem, SourceItem
from newswire_enrich.dates import parse_moment, parse_timestamp
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.fields import authors_of
from newswire_enrich.parsers.markup import (
    attribute,
    block_paragraphs,
    canonical_sha256,
    child,
    children,
    descendants,
    element_text,
    local_name,
    parse_xml,
)
from newswire_enrich.parsers.nitf import nitf_article
from newswire_enrich.parsers.text import paragraphs
from newswire_enrich.parsers.wire import concepts, pub_status, signal, urgency, version


def parse_newsml1(content: str) -> list[ParsedItem]:
    root = parse_xml(content)
    items = [root] if local_name(root) == "NewsItem" else list(descendants(root, "NewsItem"))
    if not items:
        raise UnparseableArticleError("the NewsML document holds no NewsItem")
    if len(items) == 1:
        return [_news_item(items[0])]
    articles: list[ParsedItem] = []
    for number, item in enumerate(items, start=1):
        _, fingerprint = canonical_sha256(item)
        try:
            article = _news_item(item)
        except UnparseableArticleError:
            continue  # a photo item beside the stories: not an article, not an error
        articles.append(dataclasses.replace(article, item=SourceItem(number, fingerprint)))
    if not articles:
        raise UnparseableArticleError("none of the NewsML document's NewsItems holds a story")
    return articles


def _news_item(item: etree._Element) -> ParsedArticle:
    media = _media_types(item)
    if media and "text" not in media:
        raise UnparseableArticleError(
            f"it is a NewsML {'/'.join(sorted(media))} item, not a text article"
        )
    identifier = child(item, "Identification", "NewsIdentifier")
    management = child(item, "NewsManagement")
    lines = next(descendants(item, "NewsLines"), None)
    descriptive = next(descendants(item, "DescriptiveMetadata"), None)
    story = _story(item)
    title = element_text(child(lines, "HeadLine")) or story.title
    if not title:
        raise UnparseableArticleError(
            "no HeadLine: the NewsItem has neither NewsLines/HeadLine nor a text with a headline"
        )
    status = attribute(child(management, "Status"), "FormalName")
    will_change = child(management, "StatusWillChange")
    byline = element_text(child(lines, "ByLine"))
    return dataclasses.replace(
        story,
        title=title,
        standfirst=element_text(child(lines, "SubHeadLine")) or story.standfirst,
        publication=parse_timestamp(element_text(child(management, "FirstCreated")) or "")
        or story.publication,
        authors=authors_of(byline) if byline else _parties(item, "Creator") or story.authors,
        tags=_keywords(lines, descriptive) or story.tags,
        language=attribute(child(descriptive, "Language"), "FormalName")
        or attribute(item, "lang")
        or story.language,
        guid=_guid(identifier),
        version=version(element_text(child(identifier, "RevisionId"))),
        provider=next(iter(_parties(item, "Provider")), None)
        or element_text(child(identifier, "ProviderId"))
        or story.provider,
        updated_at=parse_moment(element_text(child(management, "ThisRevisionCreated"))),
        embargo=Embargo(parse_moment(element_text(child(will_change, "DateAndTime"))))
        if (status or "").lower() == "embargoed"
        else story.embargo,
        pub_status=pub_status(status)
        or ("usable" if (status or "").lower() == "embargoed" else None),
        signals=tuple(
            s
            for instruction in children(management, "Instruction")
            if (s := signal(attribute(instruction, "FormalName")))
        ),
        urgency=urgency(attribute(child(management, "Urgency"), "FormalName")) or story.urgency,
        slugline=element_text(child(lines, "SlugLine"))
        or element_text(child(item, "Identification", "NameLabel")),
        dateline=element_text(child(lines, "DateLine")) or story.dateline,
        located=_located(descriptive) or story.located,
        subjects=_subjects(item) or story.subjects,
        genres=concepts(
            (attribute(genre, "FormalName"), None) for genre in children(descriptive, "Genre")
        )
        or story.genres,
        copyright=element_text(child(lines, "CopyrightLine"))
        or element_text(next(descendants(item, "CopyrightHolder"), None))
        or story.copyright,
        usage_terms=element_text(next(descendants(item, "UsageType"), None)) or story.usage_terms,
    )


def _story(item: etree._Element) -> ParsedArticle:
    """The text content item's story: its NITF, else its paragraphs or text."""
    for content_item in descendants(item, "ContentItem"):
        media = attribute(child(content_item, "MediaType"), "FormalName")
        data = child(content_item, "DataContent")
        if data is None or (media and media.lower() != "text"):
            continue
        nitf = next(descendants(data, "nitf"), None)
        if nitf is not None:
            return nitf_article(nitf)
        if len(data):
            return ParsedArticle(title="", body=block_paragraphs(data))
        return ParsedArticle(title="", body=paragraphs(data.text or ""))
    return ParsedArticle(title="", body=())


def _media_types(item: etree._Element) -> set[str]:
    return {
        media.lower()
        for content_item in descendants(item, "ContentItem")
        if (media := attribute(child(content_item, "MediaType"), "FormalName"))
    }


def _guid(identifier: etree._Element | None) -> str | None:
    public = element_text(child(identifier, "PublicIdentifier"))
    if public and public.count(":") >= 5:  # urn:newsml:provider:date:item:revision
        return public.rpartition(":")[0]
    parts = [
        element_text(child(identifier, name)) for name in ("ProviderId", "DateId", "NewsItemId")
    ]
    if all(parts):
        return "urn:newsml:" + ":".join(part for part in parts if part)
    return public


def _parties(item: etree._Element, role: str) -> tuple[str, ...]:
    return tuple(
        name
        for holder in descendants(item, role)
        for party in children(holder, "Party")
        if (name := attribute(party, "FormalName"))
    )


def _keywords(lines: etree._Element | None, descriptive: etree._Element | None) -> tuple[str, ...]:
    found: list[str] = []
    for line in children(lines, "KeywordLine"):
        found += [k for k in (element_text(line) or "").split(",") if k.strip()]
    for prop in children(descriptive, "Property"):
        if attribute(prop, "FormalName") == "Keyword" and (value := attribute(prop, "Value")):
            found.append(value)
    return tuple(dict.fromkeys(keyword.strip() for keyword in found))


def _subjects(item: etree._Element) -> tuple[Concept, ...]:
    return concepts(
        (f"subj:{code}", None)
        for subject_code in descendants(item, "SubjectCode")
        for subject in subject_code
        if (code := attribute(subject, "FormalName"))
    )


def _located(descriptive: etree._Element | None) -> Place | None:
    for location in children(descriptive, "Location"):
        properties = {
            attribute(prop, "FormalName"): attribute(prop, "Value")
            for prop in children(location, "Property")
        }
        name = properties.get("City") or properties.get("CountryArea")
        country = properties.get("Country")
        if name or country:
            return Place(name=name, country=country)
    return None
