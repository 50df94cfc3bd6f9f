"""NITF 3.x (News Industry Text Format), as AP, EFE and others send stories, on its own or inside a
NewsML envelope.

    <nitf><head>
      <title/> <tobject tobject.type="News"><tobject.subject tobject.subject.refnum="15000000"/>
      <docdata management-status="usable">  doc-id, urgency, date.issue, date.release (embargo),
        doc.copyright, key-list, ed-msg, correction, du-key
      <pubdata position.section name ex-ref date.publication/>
    </head><body>
      <body.head> hedline (hl1 title, hl2 subtitle), byline (person, byttl), distributor,
        dateline (location, story.date), abstract
      <body.content> paragraphs (p, hl2 subheads, lists, block); tables and media left out
    </body></nitf>

Names are matched by local name, so the namespaced NITF of NewsML-G2 reads the same.
"""

from lxml import etree  # type: ignore[import-untyped]

from newswire.enriched import Concept, Place
from newswire_enrich.article import Embargo, ParsedArticle, Publication
from newswire_enrich.dates import parse_moment, parse_timestamp
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.fields import authors_of
from newswire_enrich.parsers.markup import (
    attribute,
    block_paragraphs,
    child,
    children,
    descendants,
    element_text,
    local_name,
    parse_xml,
)
from newswire_enrich.parsers.text import clean
from newswire_enrich.parsers.wire import concepts, pub_status, urgency
from newswire_enrich.sections import normalise_section


def parse_nitf(content: str) -> ParsedArticle:
    article = nitf_article(parse_xml(content))
    if not article.title:
        raise UnparseableArticleError("no headline: the NITF has neither hedline/hl1 nor a title")
    return article


def nitf_article(nitf: etree._Element) -> ParsedArticle:
    """What an `nitf` element says; its title is empty when it has no headline (an envelope
    around it may have one)."""
    head, body = child(nitf, "head"), child(nitf, "body")
    docdata, pubdata = child(head, "docdata"), child(head, "pubdata")
    body_head = child(body, "body.head")
    hedline = child(body_head, "hedline")
    doc_id = child(docdata, "doc-id")
    released = attribute(child(docdata, "date.release"), "norm")
    status = attribute(docdata, "management-status")
    return ParsedArticle(
        title=element_text(child(hedline, "hl1")) or element_text(child(head, "title")) or "",
        body=block_paragraphs(child(body, "body.content")),
        standfirst=element_text(child(body_head, "abstract"))
        or element_text(child(hedline, "hl2")),
        publication=_publication(docdata, pubdata),
        section=normalise_section(attribute(pubdata, "position.section") or ""),
        authors=nitf_authors(child(body_head, "byline")),
        url=attribute(pubdata, "ex-ref"),
        tags=tuple(
            key
            for keyword in descendants(child(docdata, "key-list"), "keyword")
            if (key := attribute(keyword, "key"))
        ),
        language=attribute(nitf, "lang") or attribute(body, "lang"),
        guid=attribute(doc_id, "id-string"),
        provider=attribute(doc_id, "regsrc")
        or element_text(child(body_head, "distributor"))
        or attribute(pubdata, "name"),
        embargo=Embargo(parse_moment(released)) if released or status == "embargoed" else None,
        pub_status=pub_status(status),
        signals=("correction",) if child(docdata, "correction") is not None else (),
        urgency=urgency(attribute(child(docdata, "urgency"), "ed-urg")),
        dateline=element_text(child(body_head, "dateline")),
        located=_located(child(child(body_head, "dateline"), "location")),
        subjects=_subjects(head),
        genres=_genres(head),
        copyright=_copyright(child(docdata, "doc.copyright")),
        usage_terms=attribute(child(docdata, "doc.rights"), "usage"),
        editorial_note=attribute(child(docdata, "ed-msg"), "info")
        or attribute(child(docdata, "correction"), "info"),
    )


def nitf_authors(byline: etree._Element | None) -> tuple[str, ...]:
    """The people of a by-line (`person` elements), else its words without the job title."""
    if byline is None:
        return ()
    people = tuple(
        name for person in descendants(byline, "person") if (name := element_text(person))
    )
    if people:
        return people
    words = [byline.text or ""]
    for part in byline:
        if local_name(part) not in {"byttl", ""}:
            words.append("".join(part.itertext()))
        words.append(part.tail or "")
    return authors_of(clean("".join(words)))


def _publication(
    docdata: etree._Element | None, pubdata: etree._Element | None
) -> Publication | None:
    for stated in (
        attribute(pubdata, "date.publication"),
        attribute(child(docdata, "date.issue"), "norm"),
    ):
        if stated and (publication := parse_timestamp(stated)):
            return publication
    return None


def _located(location: etree._Element | None) -> Place | None:
    if location is None:
        return None
    city = element_text(child(location, "city")) or element_text(child(location, "region"))
    country = element_text(child(location, "country"))
    name = city or (None if country else element_text(location))
    if not (name or country):
        return None
    return Place(name=name, country=country)


def _subjects(head: etree._Element | None) -> tuple[Concept, ...]:
    return concepts(
        (
            f"subj:{refnum}" if (refnum := attribute(subject, "tobject.subject.refnum")) else None,
            attribute(subject, "tobject.subject.detail")
            or attribute(subject, "tobject.subject.matter")
            or attribute(subject, "tobject.subject.type"),
        )
        for subject in descendants(child(head, "tobject"), "tobject.subject")
    )


def _genres(head: etree._Element | None) -> tuple[Concept, ...]:
    tobjects = children(head, "tobject")
    return concepts((None, attribute(tobject, "tobject.type")) for tobject in tobjects)


def _copyright(notice: etree._Element | None) -> str | None:
    holder, year = attribute(notice, "holder"), attribute(notice, "year")
    if not holder:
        return None
    return f"Copyright {year} {holder}" if year else f"Copyright {holder}"
