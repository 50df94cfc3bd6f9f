"""IPTC NewsML-G2, the XML news agencies deliver stories in: a text `newsItem`, or a
`newsMessage` carrying several items (one article per text item).

    <newsItem guid version>  rightsInfo (copyrightNotice, usageTerms)
      <itemMeta>     itemClass (ninat:text), provider, versionCreated, firstCreated, embargoed,
                     pubStatus, edNote, signal
      <contentMeta>  contentCreated, contentModified, located, creator, subject (qcode + names),
                     genre, urgency, slugline, headline, subheadline, description, by, dateline,
                     keyword, language
      <contentSet>   inlineXML: NITF or XHTML; inlineData: plain text

A picture, video, audio or graphic item, a package (which only refers to other items) and the
knowledge, concept and planning items are not articles and are refused with that reason; in a
news message they are skipped and its text items taken. The publication is `firstCreated`, else
`versionCreated` (this version); `updated_at` is `versionCreated`.
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
from newswire_enrich.parsers.wire import (
    concept_code,
    concepts,
    pub_status,
    scheme_code,
    signal,
    urgency,
    version,
)

NAMESPACE = "http://iptc.org/std/nar/2006-10-01/"
_NOT_STORIES = {
    "packageItem": "a NewsML-G2 package item only refers to other items and carries no story: "
    "send the text items it refers to (or a newsMessage holding them)",
    "conceptItem": "a NewsML-G2 concept item describes a concept, not a story",
    "knowledgeItem": "a NewsML-G2 knowledge item holds controlled vocabularies, not a story",
    "planningItem": "a NewsML-G2 planning item announces coverage, it is not a story",
    "catalogItem": "a NewsML-G2 catalog item lists schemes, it is not a story",
}
_TEXT_CLASSES = {"text", "composite"}  # ninat: a composite item may hold text (a story + photo)


def parse_newsml_g2(content: str) -> list[ParsedItem]:
    root = parse_xml(content)
    name = local_name(root)
    if name == "newsItem":
        return [_news_item(root)]
    if name == "newsMessage":
        return _message_items(root)
    raise UnparseableArticleError(
        _NOT_STORIES.get(name, f"a NewsML-G2 <{name}> is not a news item or message")
    )


def _message_items(message: etree._Element) -> list[ParsedItem]:
    items = [item for item in descendants(child(message, "itemSet"), "newsItem")]
    texts = [item for item in items if _item_class(item) in _TEXT_CLASSES]
    if not texts:
        classes = sorted({_item_class(item) or "unknown" for item in items})
        found = f"it holds only {', '.join(classes)} items" if items else "its itemSet is empty"
        raise UnparseableArticleError(f"the NewsML-G2 news message has no text item: {found}")
    articles: list[ParsedItem] = []
    for number, item in enumerate(texts, start=1):
        _, fingerprint = canonical_sha256(item)
        article = _news_item(item)
        articles.append(dataclasses.replace(article, item=SourceItem(number, fingerprint)))
    return articles


def _item_class(item: etree._Element) -> str | None:
    return scheme_code(attribute(child(item, "itemMeta", "itemClass"), "qcode")) or scheme_code(
        attribute(child(item, "itemMeta", "itemClass"), "uri")
    )


def _news_item(item: etree._Element) -> ParsedArticle:
    item_class = _item_class(item)
    if item_class is not None and item_class not in _TEXT_CLASSES:
        raise UnparseableArticleError(
            f"it is a NewsML-G2 {item_class} item (itemClass ninat:{item_class}), not a text "
            "article: Newswire reads text items"
        )
    meta, content = child(item, "itemMeta"), child(item, "contentMeta")
    language = attribute(child(content, "language"), "tag") or attribute(item, "lang")
    story = _story(child(item, "contentSet"))
    title = _in_language(children(content, "headline"), language) or story.title
    if not title:
        raise UnparseableArticleError("no headline: the news item has no contentMeta/headline")
    version_created = element_text(child(meta, "versionCreated"))
    first_created = element_text(child(meta, "firstCreated"))
    embargoed = child(meta, "embargoed")
    rights = child(item, "rightsInfo")
    return dataclasses.replace(
        story,
        title=title,
        standfirst=_summary(content) or story.standfirst,
        publication=parse_timestamp(first_created or version_created or "") or story.publication,
        authors=_creators(content) or story.authors,
        tags=tuple(k for keyword in children(content, "keyword") if (k := element_text(keyword)))
        or story.tags,
        language=language or story.language,
        guid=attribute(item, "guid"),
        version=version(attribute(item, "version")),
        provider=_provider(child(meta, "provider")) or story.provider,
        updated_at=parse_moment(version_created),
        content_created=parse_moment(element_text(child(content, "contentCreated"))),
        embargo=Embargo(parse_moment(element_text(embargoed))) if embargoed is not None else None,
        pub_status=pub_status(attribute(child(meta, "pubStatus"), "qcode")),
        signals=tuple(
            s for found in children(meta, "signal") if (s := signal(attribute(found, "qcode")))
        ),
        urgency=urgency(element_text(child(content, "urgency"))) or story.urgency,
        slugline=element_text(child(content, "slugline")),
        dateline=element_text(child(content, "dateline")) or story.dateline,
        located=_located(child(content, "located")) or story.located,
        subjects=_concepts(children(content, "subject"), language) or story.subjects,
        genres=_concepts(children(content, "genre"), language) or story.genres,
        copyright=element_text(child(rights, "copyrightNotice"))
        or element_text(child(rights, "copyrightHolder", "name"))
        or story.copyright,
        usage_terms=element_text(child(rights, "usageTerms")) or story.usage_terms,
        editorial_note=element_text(child(meta, "edNote")) or story.editorial_note,
    )


def _story(content_set: etree._Element | None) -> ParsedArticle:
    """The story the content set holds: inline NITF, XHTML, or plain text (in that order)."""
    for inline in children(content_set, "inlineXML"):
        nitf = next(descendants(inline, "nitf"), None)
        if nitf is not None:
            return nitf_article(nitf)
        body = next(descendants(inline, "body"), None)
        if body is not None or len(inline):
            return ParsedArticle(
                title="", body=block_paragraphs(body if body is not None else inline)
            )
    for inline in children(content_set, "inlineData"):
        return ParsedArticle(title="", body=paragraphs("".join(inline.itertext())))
    return ParsedArticle(title="", body=())


def _in_language(elements: list[etree._Element], language: str | None) -> str | None:
    """The text of the element in the item's language, else of the first one."""
    primary = (language or "").split("-")[0].lower()
    for element in elements:
        stated = (attribute(element, "lang") or "").split("-")[0].lower()
        if not stated or stated == primary:
            return element_text(element)
    return element_text(elements[0]) if elements else None


def _summary(content: etree._Element | None) -> str | None:
    descriptions = children(content, "description")
    summaries = [d for d in descriptions if (attribute(d, "role") or "").endswith("summary")]
    return (element_text(summaries[0]) if summaries else None) or element_text(
        child(content, "subheadline")
    )


def _creators(content: etree._Element | None) -> tuple[str, ...]:
    names = tuple(
        name
        for creator in children(content, "creator")
        if (name := element_text(child(creator, "name")) or attribute(creator, "literal"))
    )
    return names or authors_of(element_text(child(content, "by")))


def _provider(provider: etree._Element | None) -> str | None:
    return (
        element_text(child(provider, "name"))
        or attribute(provider, "literal")
        or scheme_code(attribute(provider, "qcode"))
        or attribute(provider, "uri")
    )


def _concepts(elements: list[etree._Element], language: str | None) -> tuple[Concept, ...]:
    return concepts(
        (
            concept_code(attribute(element, "qcode") or attribute(element, "uri")),
            _in_language(children(element, "name"), language) or attribute(element, "literal"),
        )
        for element in elements
    )


def _located(located: etree._Element | None) -> Place | None:
    if located is None:
        return None
    country = next(
        (
            element_text(child(broader, "name")) or scheme_code(attribute(broader, "qcode"))
            for broader in children(located, "broader")
            if _is_country(broader)
        ),
        None,
    )
    name = element_text(child(located, "name"))
    code = concept_code(attribute(located, "qcode") or attribute(located, "uri"))
    if not (name or code or country):
        return None
    return Place(name=name, code=code, country=country)


def _is_country(broader: etree._Element) -> bool:
    kind = attribute(broader, "type") or ""
    qcode = attribute(broader, "qcode") or ""
    return kind.endswith("country") or qcode.startswith(("iso3166-1a2:", "iso3166-1a3:", "cntry:"))
