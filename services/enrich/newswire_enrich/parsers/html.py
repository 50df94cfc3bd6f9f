"""News web pages, read as a person reads them.

- **Title**: the visible headline, the page's `h1` that matches what the page's metadata calls
  the article (schema.org JSON-LD `headline`, `og:title`, `twitter:title`, `<title>`); without
  such an `h1`, the metadata's title with the site's name (`… | The Japan Times`) removed.
- **Date**: JSON-LD `datePublished`, then `article:published_time` and the other publication
  meta tags, then trafilatura (the page's metadata only, never a date guessed from its text). A
  time counts only with its time zone, as everywhere.
- **Authors**: JSON-LD `author` (people before organisations), then the author meta tags, then
  trafilatura's, then the by-line elements (`rel=author`, `itemprop=author`, `.byline`).
- **Body**: trafilatura's main text; when the page's own JSON-LD `articleBody` holds much more of
  the story, trafilatura again favouring recall, and failing that the `articleBody`.
- Section, tags, standfirst, provider (the site's name), url and `updated_at` from the same
  sources (JSON-LD first, then meta tags, then trafilatura).
"""

import dataclasses
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from lxml import etree, html  # type: ignore[import-untyped]
from trafilatura import bare_extraction
from trafilatura.settings import Document

from newswire_enrich.article import ParsedArticle, Publication
from newswire_enrich.dates import parse_moment, parse_timestamp
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.fields import article_from_fields, authors_of, texts_of
from newswire_enrich.parsers.markup import html_paragraphs
from newswire_enrich.parsers.text import clean, paragraphs

_DATE_FROM_METADATA_ONLY = {"extensive_search": False, "original_date": True}
_ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "ReviewNewsArticle",
        "BackgroundNewsArticle",
        "AdvertiserContentArticle",
        "SatiricalArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "SocialMediaPosting",
        "DiscussionForumPosting",
        "Report",
        "TechArticle",
        "ScholarlyArticle",
        "MedicalScholarlyArticle",
    }
)
_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "article:published",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "citation_publication_date",
    "publish-date",
    "pubdate",
    "publishdate",
    "date",
)
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")
_AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
_SITE_META = ("og:site_name", "application-name", "publisher", "dc.publisher")
_TITLE_SEPARATORS = re.compile(
    r"\s+(?:\||-|\u2013|\u2014|::|\u00b7|\u2022|\u00bb|/|:)\s+|\s*(?:_|\|)\s*"
)
_BYLINE_PREFIX = re.compile(r"^\s*(?:by|von|par|por|di|door)\s+", re.IGNORECASE)
_BYLINE_CLASSES = re.compile(r"\b(?:byline|author|writer|contributor)", re.IGNORECASE)
_NOT_A_NAME = re.compile(r"https?://|@|\d{3,}|\bupdated\b|\bpublished\b", re.IGNORECASE)
# The visible headline matches the metadata's title when this share of its words are there.
_HEADLINE_MATCH = 0.5
# A JSON-LD articleBody this many times longer than the extracted text means the text is cut.
_CUT_BODY = 1.5
_SAME_LENGTH = 0.9
_MAX_BYLINE_WORDS = 8
_INVISIBLE = frozenset({"script", "style", "noscript", "template"})
_HIDDEN_CLASSES = re.compile(
    r"\b(?:sr-only|visually-hidden|screen-reader-text|visuallyhidden|hidden)\b", re.IGNORECASE
)
_HEADLINE_MARKS = re.compile(r"headline|title|heading", re.IGNORECASE)
_OUTSIDE_STORY = frozenset({"header", "nav", "footer", "aside"})
_MIN_HEADLINE_WORDS = 4
_MAX_SITE_WORDS = 5
_LD_WRAPPERS = re.compile(r"^\s*(?:<!--|<!\[CDATA\[|//<!\[CDATA\[)|(?:-->|\]\]>|//\]\]>)\s*$")
_LABEL_SHARE = 3  # a trailing title part this many times shorter than the rest is a label


@dataclass
class _Metadata:
    """What the page says about its article outside the prose."""

    ld: dict[str, object] = field(default_factory=dict)  # the JSON-LD article object
    meta: dict[str, str] = field(default_factory=dict)  # <meta> by lower-cased name/property
    titles: list[str] = field(default_factory=list)  # metadata titles, best first
    headings: list[str] = field(default_factory=list)  # visible h1 texts
    bylines: list[str] = field(default_factory=list)
    story_headings: list[str] = field(default_factory=list)  # h1s marked or placed as the story's
    tags: list[str] = field(default_factory=list)  # article:tag, all of them
    site: str | None = None
    canonical: str | None = None


def parse_html(content: str) -> ParsedArticle:
    metadata = _metadata(content)
    extracted = _extract(content, favor_recall=False)
    lines = _lines(extracted)
    stated_body = metadata.ld.get("articleBody")
    article_body = stated_body.strip() if isinstance(stated_body, str) else None
    if article_body:
        lines = _whole_story(content, lines, article_body)
    if not lines:
        raise UnparseableArticleError("no main text found in the HTML page")
    title = _headline(metadata, extracted, lines)
    while lines and _same_text(lines[0], title):  # the headline repeated at the top of the text
        lines = lines[1:]
    article = article_from_fields(
        {
            "title": title,
            "standfirst": _ld_text(metadata.ld.get("description"))
            or _meta(metadata, "og:description", "description", "twitter:description")
            or (extracted.description if extracted else None),
            "section": _ld_text(metadata.ld.get("articleSection"))
            or _meta(metadata, "article:section")
            or (extracted.categories if extracted else None),
            "url": metadata.canonical
            or _meta(metadata, "og:url")
            or _ld_text(metadata.ld.get("url"))
            or (extracted.url if extracted else None),
            "tags": _ld_keywords(metadata.ld.get("keywords"))
            or metadata.tags
            or _meta(metadata, "news_keywords", "keywords")
            or (extracted.tags if extracted else None),
        },
        body=tuple(lines),
    )
    return dataclasses.replace(
        article,
        publication=_publication(metadata, extracted),
        authors=_authors(metadata, extracted),
        provider=metadata.site or (extracted.sitename if extracted else None),
        updated_at=parse_moment(
            _ld_text(metadata.ld.get("dateModified")) or _meta(metadata, *_MODIFIED_META)
        ),
    )


def _whole_story(content: str, lines: list[str], article_body: str) -> list[str]:
    """The extracted text, unless the page's own `articleBody` shows it cut short (then the
    extractor favouring recall, or the `articleBody`) or run together (its paragraphs)."""
    stated = list(
        html_paragraphs(article_body) if "<" in article_body else paragraphs(article_body)
    )
    if _words(article_body) > _CUT_BODY * _words(" ".join(lines)):
        recalled = _lines(_extract(content, favor_recall=True))
        lines = recalled if _words(" ".join(recalled)) > _words(" ".join(lines)) else lines
        if _words(article_body) > _CUT_BODY * _words(" ".join(lines)):
            return stated
    if len(lines) * 2 < len(stated) and _words(article_body) >= _SAME_LENGTH * _words(
        " ".join(lines)
    ):
        return stated
    return lines


def _extract(content: str, *, favor_recall: bool) -> Document | None:
    extracted = bare_extraction(
        content,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_recall=favor_recall,
        date_extraction_params=_DATE_FROM_METADATA_ONLY,
    )
    return extracted if isinstance(extracted, Document) and extracted.text else None


def _lines(extracted: Document | None) -> list[str]:
    if extracted is None or not extracted.text:
        return []
    return [clean(line) for line in extracted.text.split("\n") if clean(line)]


def _metadata(content: str) -> _Metadata:
    try:
        tree = html.document_fromstring(content)
    except (etree.ParserError, ValueError):
        return _Metadata()
    found = _Metadata()
    for element in tree.iter("meta"):
        name = element.get("property") or element.get("name") or element.get("itemprop") or ""
        value = clean(element.get("content") or "")
        if name and value:
            found.meta.setdefault(name.strip().lower(), value)
            if name.strip().lower() == "article:tag":
                found.tags.append(value)
    found.ld = _ld_article(tree)
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            found.canonical = clean(link.get("href"))
            break
    publisher = found.ld.get("publisher")
    found.site = _meta(found, *_SITE_META) or _ld_text(
        publisher.get("name") if isinstance(publisher, Mapping) else publisher
    )
    title_element = tree.find(".//title")
    found.titles = [
        title
        for title in (
            _ld_text(found.ld.get("headline")),
            _meta(found, "og:title"),
            _meta(found, "twitter:title"),
            clean(title_element.text_content()) if title_element is not None else None,
        )
        if title
    ]
    found.headings = [text for h1 in tree.iter("h1") if (text := _visible_text(h1))]
    found.story_headings = [
        text
        for h1 in tree.iter("h1")
        if (text := _visible_text(h1))
        and len(text.split()) >= _MIN_HEADLINE_WORDS
        and _in_story(h1)
    ]
    found.bylines = list(_byline_texts(tree))
    return found


def _ld_article(tree: etree._Element) -> dict[str, object]:
    """The first schema.org article object of the page's JSON-LD, wherever it is nested."""
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            text = _LD_WRAPPERS.sub("", script.text)
            data = json.loads(text, strict=False)  # pages put raw line breaks in strings
        except ValueError:
            continue
        for candidate in _ld_objects(data):
            kinds = candidate.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(str(kind) in _ARTICLE_TYPES for kind in kinds) and candidate.get("headline"):
                return candidate
    return {}


def _ld_objects(data: object, depth: int = 0) -> Iterator[dict[str, object]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _ld_objects(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if key in data:
                yield from _ld_objects(data[key], depth + 1)


def _headline(metadata: _Metadata, extracted: Document | None, lines: list[str]) -> str:
    """The visible headline: the h1 that best matches the metadata's titles (the best title
    first), else the one h1 placed as the story's, else the best title without the site's name."""
    site_words = _site_words(metadata)
    headings = [h for h in metadata.headings if not _names_site(h, site_words)]
    for title in metadata.titles:
        scored = [(_match(heading, title), heading) for heading in headings]
        best = max(scored, default=(0.0, ""))
        if best[0] > 0:
            return best[1]
    story = [h for h in metadata.story_headings if h in headings]
    if len(set(story)) == 1:
        return story[0]
    titles = [*metadata.titles, *([extracted.title] if extracted and extracted.title else [])]
    for title in titles:
        if stripped := _without_site_name(title, site_words):
            return stripped
    if headings:
        return headings[0]
    if lines:
        return lines[0]
    raise UnparseableArticleError("no title: the page has no headline, h1 or <title>")


def _in_story(element: etree._Element) -> bool:
    """Marked as a headline, or inside the article, and not in the page's header or menus."""
    ancestors = list(element.iterancestors())
    if any(ancestor.tag in _OUTSIDE_STORY for ancestor in ancestors):
        return False
    marks = " ".join(
        f"{node.get('class') or ''} {node.get('itemprop') or ''} {node.get('id') or ''}"
        for node in (element, *ancestors[:2])
    )
    return bool(_HEADLINE_MARKS.search(marks)) or any(
        ancestor.tag in {"article", "main"} for ancestor in ancestors
    )


def _match(heading: str, title: str) -> float:
    """How well a heading and a title agree, 0 when they do not: the share of the heading's
    words in the title times the share of the title's words in the heading."""
    heading_words, title_words = _word_list(heading), set(_word_list(title))
    if not heading_words or (len(heading_words) < 2 and heading.lower() != title.lower()):
        return 0.0
    shared = sum(word in title_words for word in heading_words) / len(heading_words)
    covered = sum(word in set(heading_words) for word in title_words) / max(1, len(title_words))
    if shared < _HEADLINE_MATCH or covered < _HEADLINE_MATCH / 2:
        return 0.0
    return shared * covered


def _site_words(metadata: _Metadata) -> set[str]:
    return (
        set(_word_list(metadata.site or ""))
        | set(_domain_words(metadata.canonical))
        | set(_domain_words(metadata.meta.get("og:url")))
    )


def _without_site_name(title: str, site_words: set[str]) -> str:
    """`Headline | Site`, `Site - Headline` → `Headline`, when a part names the site; else
    trailing labels much shorter than the headline (`Headline_Section_Site`) are dropped."""
    parts = [part for part in _TITLE_SEPARATORS.split(title) if part.strip()]
    if len(parts) < 2:
        return title
    kept = [part for part in parts if not _names_site(part, site_words)]
    if len(kept) == len(parts):
        while len(kept) > 1 and len(kept[-1]) * _LABEL_SHARE <= sum(map(len, kept[:-1])):
            kept.pop()
    if not kept or len(kept) == len(parts):
        return title
    # Keep the headline as written, separators inside it included.
    start = title.find(kept[0])
    end = title.rfind(kept[-1]) + len(kept[-1])
    return clean(title[start:end]) if start >= 0 and end > start else title


def _names_site(part: str, site_words: set[str]) -> bool:
    """Mostly the site's words (`CNN Politics` on cnn.com, `Aktuálně.cz` on aktualne.cz)."""
    words = _word_list(part)
    if not words or len(words) > _MAX_SITE_WORDS:
        return False
    named = sum(word in site_words for word in words)
    return named > 0 and named * 2 >= len(words)


def _domain_words(url: str | None) -> list[str]:
    if not url:
        return []
    host = re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0]
    return [part for part in re.split(r"[.\-]", host) if part not in {"www", "com", "co", "org"}]


def _publication(metadata: _Metadata, extracted: Document | None) -> Publication | None:
    for stated in (
        _ld_text(metadata.ld.get("datePublished")),
        _meta(metadata, *_PUBLISHED_META),
        _ld_text(metadata.ld.get("dateCreated")),
    ):
        if stated and (publication := parse_timestamp(stated)):
            return publication
    if extracted and extracted.date:
        return parse_timestamp(extracted.date)
    return None


def _authors(metadata: _Metadata, extracted: Document | None) -> tuple[str, ...]:
    people, organisations = _ld_authors(metadata.ld.get("author"))
    if people:
        return people
    from_meta = tuple(
        name
        for key in _AUTHOR_META
        if (value := metadata.meta.get(key)) and not _NOT_A_NAME.search(value)
        for name in authors_of(value)
    )
    if from_meta:
        return tuple(dict.fromkeys(from_meta))
    if extracted and extracted.author:
        return authors_of(extracted.author)
    for byline in metadata.bylines:
        names = tuple(name for name in authors_of(byline) if not _NOT_A_NAME.search(name))
        if names:
            return names
    return organisations


def _ld_authors(value: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    people: list[str] = []
    organisations: list[str] = []
    for author in value if isinstance(value, list) else [value]:
        kind = str(author.get("@type", "Person")) if isinstance(author, Mapping) else "Person"
        name = _ld_text(author.get("name") if isinstance(author, Mapping) else author)
        if not name or _NOT_A_NAME.search(name):
            continue
        (organisations if "Organization" in kind else people).extend(authors_of(name))
    return tuple(dict.fromkeys(people)), tuple(dict.fromkeys(organisations))


def _byline_texts(tree: etree._Element) -> Iterator[str]:
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        marked = (
            (element.get("rel") or "") == "author"
            or (element.get("itemprop") or "") == "author"
            or _BYLINE_CLASSES.search(element.get("class") or "")
        )
        if marked and (text := _visible_text(element)):
            text = _BYLINE_PREFIX.sub("", text)
            if 0 < len(text.split()) <= _MAX_BYLINE_WORDS:
                yield text


def _visible_text(element: etree._Element) -> str:
    """The text a reader sees in the element: no scripts, nothing hidden."""
    if _hidden(element):
        return ""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        parts.append(node.text or "")
        for inner in node:
            if isinstance(inner.tag, str) and inner.tag not in _INVISIBLE and not _hidden(inner):
                walk(inner)
            parts.append(inner.tail or "")

    walk(element)
    return clean("".join(parts))


def _hidden(element: etree._Element) -> bool:
    style = (element.get("style") or "").replace(" ", "").lower()
    return (
        element.get("hidden") is not None
        or "display:none" in style
        or "visibility:hidden" in style
        or bool(_HIDDEN_CLASSES.search(element.get("class") or ""))
    )


def _meta(metadata: _Metadata, *names: str) -> str | None:
    return next((metadata.meta[name] for name in names if metadata.meta.get(name)), None)


def _ld_text(value: object) -> str | None:
    if isinstance(value, list):
        value = next((item for item in value if item), None)
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("@id")
    return clean(str(value)) or None if isinstance(value, str | int | float) else None


def _ld_keywords(value: object) -> tuple[str, ...]:
    return texts_of(value, split_commas=True)


def _words(text: str) -> int:
    return len(text.split())


def _word_list(text: str) -> list[str]:
    """Lower-case words without accents: `Aktuálně` and the host name `aktualne` are one."""
    plain = unicodedata.normalize("NFKD", text.lower())
    return re.findall(r"\w+", "".join(c for c in plain if not unicodedata.combining(c)))


def _same_text(line: str, title: str) -> bool:
    return _word_list(line) == _word_list(title)
