"""Which parser reads a file: by its content where the content says (the root element and
namespace of XML, the fields of a JSON object, a mail's headers, a binary document's magic bytes),
else by extension, else by declared media type, else by the content's shape.

The extension is a hint: a NewsML-G2 item saved as `.txt`, an e-mail saved as `.txt` or an RSS
feed without extension are read as what they are. Content also refines a declared format: a
`.txt` that starts with the `date YYYY-MM-DD SECTION` header is header-text, and a `.json`
holding one object per line is JSON Lines.
"""

import json
import zipfile
from io import BytesIO
from pathlib import PurePosixPath

from newswire.enriched import ArticleFormat
from newswire_enrich.errors import UnknownFormatError
from newswire_enrich.parsers.email_message import looks_like_mail
from newswire_enrich.parsers.feeds import is_json_feed
from newswire_enrich.parsers.header_text import has_header
from newswire_enrich.parsers.markup import root_element
from newswire_enrich.parsers.news_please import is_news_please
from newswire_enrich.parsers.ninjs import is_ninjs

BY_EXTENSION: dict[str, ArticleFormat] = {
    ".txt": "plain-text",
    ".text": "plain-text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".jsonl": "json-lines",
    ".ndjson": "json-lines",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".eml": "email",
    ".docx": "docx",
    ".pdf": "pdf",
}
BY_MEDIA_TYPE: dict[str, ArticleFormat] = {
    "text/plain": "plain-text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "application/json": "json",
    "application/jsonl": "json-lines",
    "application/x-ndjson": "json-lines",
    "application/x-jsonlines": "json-lines",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "message/rfc822": "email",
    "application/feed+json": "json-feed",
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
# XML roots by (namespace, local name); "*" stands for any namespace.
NEWSML_G2 = "http://iptc.org/std/nar/2006-10-01/"
ATOM = "http://www.w3.org/2005/Atom"
XML_ROOTS: dict[tuple[str, str], ArticleFormat] = {
    **{
        (NEWSML_G2, name): "newsml-g2"
        for name in [
            "newsItem",
            "newsMessage",
            "packageItem",
            "conceptItem",
            "knowledgeItem",
            "planningItem",
            "catalogItem",
        ]
    },
    ("*", "nitf"): "nitf",
    ("*", "NewsML"): "newsml-1",
    ("*", "NewsItem"): "newsml-1",
    ("*", "rss"): "rss",
    ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "RDF"): "rss",
    (ATOM, "feed"): "atom",
    ("*", "html"): "html",
}
_XML_NAMES = "NewsML-G2, NITF, NewsML 1.2, RSS, Atom or XHTML"
_HTML_OPENINGS = ("<!doctype html", "<html", "<head", "<body", "<article")
SNIFF_CHARACTERS = 512


def detect_format(
    file_name: str, media_type: str, content: str, data: bytes | None = None
) -> ArticleFormat:
    """The format to parse a raw article as; `data` is the bytes of a binary document."""
    extension = PurePosixPath(file_name).suffix.lower()
    if data is not None:
        return _binary_format(data, extension, media_type)
    opening = content.lstrip("\ufeff \t\r\n")[:SNIFF_CHARACTERS]
    xml_root = _xml_root(opening, content)
    by_content = _structured_format(opening, content, xml_root)
    if by_content is not None:
        return by_content
    declared = (
        BY_EXTENSION.get(extension)
        or BY_MEDIA_TYPE.get(media_type.partition(";")[0].strip().lower())
        or _sniff(content)
    )
    if declared is None and xml_root is not None:
        namespace, name = xml_root
        where = f"namespace {namespace}" if namespace else "no namespace"
        raise UnknownFormatError(
            f"an XML document whose root element is <{name}> ({where}): not a news format "
            f"Newswire reads ({_XML_NAMES}); a fragment of one is not an article either"
        )
    if declared is None:
        raise UnknownFormatError(
            f"unknown format: extension {extension or '(none)'!r}, media type {media_type!r}, "
            "and the content is none of header-text, JSON, HTML, news XML, e-mail or Markdown "
            f"with front matter; known extensions: {', '.join(BY_EXTENSION)}"
        )
    if declared in {"docx", "pdf"}:
        raise UnknownFormatError(
            f"unknown format: extension {extension!r}, media type {media_type!r}, but the file "
            f"holds text, and a real {declared.upper()} document is binary: save it again from "
            "its application, or name the file after what it holds"
        )
    if declared == "plain-text" and has_header(content):
        return "header-text"
    if declared == "json" and _is_json_lines(content):
        return "json-lines"
    return declared


def _binary_format(data: bytes, extension: str, media_type: str) -> ArticleFormat:
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            pass
    raise UnknownFormatError(
        f"a binary file ({media_type}, extension {extension or '(none)'!r}) that is neither a PDF "
        "nor a Word .docx document: Newswire reads those two binary formats only"
    )


def _xml_root(opening: str, content: str) -> tuple[str, str] | None:
    """(namespace, local name) of the root of an XML document; None for anything else (HTML
    written loosely, or text that starts with a tag, included)."""
    if not opening.startswith("<") or opening.lower().startswith(_HTML_OPENINGS):
        return None
    return root_element(content)


def _structured_format(
    opening: str, content: str, xml_root: tuple[str, str] | None
) -> ArticleFormat | None:
    """What the content itself says it is, when it says so unmistakably."""
    if xml_root is not None:
        namespace, name = xml_root
        found = XML_ROOTS.get((namespace, name)) or XML_ROOTS.get(("*", name))
        if found is None and namespace == NEWSML_G2:
            return "newsml-g2"  # an item kind of a later version: its parser says why not
        return found
    if opening.startswith("{"):
        return _json_object_format(content)
    if looks_like_mail(content):
        return "email"
    return None


def _json_object_format(content: str) -> ArticleFormat | None:
    try:
        document = json.loads(content)
    except json.JSONDecodeError:
        return None  # JSON Lines, or broken JSON: the declared format's parser says which
    if is_json_feed(document):
        return "json-feed"
    if isinstance(document, dict) and is_ninjs(document):
        return "ninjs"
    if isinstance(document, dict) and is_news_please(document):
        return "news-please"
    return None


def _sniff(content: str) -> ArticleFormat | None:
    opening = content.lstrip("\ufeff \t\r\n")[:SNIFF_CHARACTERS]
    lowered = opening.lower()
    if opening.startswith(("{", "[")):
        return "json"
    if lowered.startswith(_HTML_OPENINGS) or (lowered.startswith("<") and "<html" in lowered):
        return "html"
    if opening.startswith("---\n"):
        return "markdown"
    if has_header(content):
        return "plain-text"
    return None


def _is_json_lines(content: str) -> bool:
    """A first line that is a whole JSON object followed by more: not one pretty-printed object."""
    first, _, rest = content.lstrip("\ufeff \t\r\n").partition("\n")
    if not rest.strip():
        return False
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False
