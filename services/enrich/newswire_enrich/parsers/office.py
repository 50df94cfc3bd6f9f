"""Word (.docx) and PDF press releases, read from their bytes: python-docx and pypdf.

Word: the paragraph in the `Title` style is the title, else the first heading, else the first
paragraph; the other paragraphs are the body (tables and headers are not). PDF: the text of each
page as laid out, its lines joined back into paragraphs (a gap ends one; on a page without gaps,
a line that ends a sentence well short of the measure does); the title is the document's own
`/Title` when the first page shows it, else its first paragraph. A `PRESS RELEASE`-style
letterhead is neither title nor body. Both: the document's metadata gives the author, the
creation date (publication) and the modification date (`updated_at`); a PDF with no text layer
(a scan) is refused. Both are checked against enrich's `DocumentLimits` before they are read
(a Word file's package, a PDF's page count).
"""

import io
import re
from datetime import UTC, datetime

import docx
import pypdf
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE

from newswire_enrich.article import ParsedArticle, Publication
from newswire_enrich.document_limits import DocumentLimits, check_package, check_pages
from newswire_enrich.errors import ArticleRejectedError, UnparseableArticleError
from newswire_enrich.parsers.fields import authors_of, texts_of
from newswire_enrich.parsers.text import clean

_TITLE_STYLES = ("title",)
_HEADING_STYLES = ("heading 1", "heading1", "heading")
_LETTERHEAD = re.compile(
    r"^(?:for immediate release|(?:press|news|media) release|embargoed.*|communiqu[eé].*"
    r"|pressemitteilung|nota de prensa|comunicado de prensa)[\s:.\-\u2013]*$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?:;\"\u201d\u2019)]$")
_GENERATED_TITLE = re.compile(
    r"^(?:microsoft (?:word|powerpoint) - .*|untitled.*|.*\.(?:docx?|pdf))$", re.IGNORECASE
)
# A line shorter than this share of the page's longest ends its paragraph when it ends a sentence.
_SHORT_LINE = 0.8
WORD_MAIN_PART = "word/document.xml"


def parse_docx(data: bytes, limits: DocumentLimits | None = None) -> ParsedArticle:
    check_package(data, limits or DocumentLimits(), WORD_MAIN_PART)
    try:
        document = docx.Document(io.BytesIO(data))
        style_names = _paragraph_style_names(document)
        default_style = style_names.get(None, "")
        blocks = [
            (clean(paragraph.text), style_names.get(paragraph._p.style, default_style))
            for paragraph in document.paragraphs
        ]
    # python-docx meets a damaged package with whatever error the missing part causes (a
    # KeyError, an AttributeError on a stripped-down XML part…): all of them mean unreadable.
    except Exception as error:
        raise _unreadable("DOCX", error) from error
    blocks = [(text, style) for text, style in blocks if text and not _LETTERHEAD.match(text)]
    properties = document.core_properties
    position = _title_position(blocks)
    if position is None:
        title = clean(properties.title or "")
        body = tuple(text for text, _ in blocks)
    else:
        title = blocks[position][0]
        body = tuple(text for index, (text, _) in enumerate(blocks) if index != position)
    if not title:
        raise UnparseableArticleError("the Word document holds no text")
    return ParsedArticle(
        title=title,
        body=body,
        publication=_publication(properties.created),
        authors=authors_of(properties.author),
        tags=texts_of(properties.keywords, split_commas=True),
        language=clean(properties.language or "") or None,
        updated_at=_moment(properties.modified),
    )


def parse_pdf(data: bytes, limits: DocumentLimits | None = None) -> ParsedArticle:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnparseableArticleError("the PDF is encrypted: send it without a password")
        check_pages(len(reader.pages), limits or DocumentLimits())
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
        info = reader.metadata
    except ArticleRejectedError:
        raise
    # pypdf likewise: a damaged file can fail in any of its readers.
    except Exception as error:
        raise _unreadable("PDF", error) from error
    blocks = [block for page in pages for block in _page_paragraphs(page)]
    if not blocks:
        raise UnparseableArticleError(
            "the PDF has no text layer (a scanned image?): send the text, or run OCR first"
        )
    title, body = _pdf_title(blocks, clean(str(info.title or "")) if info else "")
    return ParsedArticle(
        title=title,
        body=body,
        publication=_publication(_pdf_date(info, "creation_date")),
        authors=authors_of(str(info.author)) if info and info.author else (),
        tags=texts_of(str(info.keywords), split_commas=True) if info and info.keywords else (),
        updated_at=_moment(_pdf_date(info, "modification_date")),
    )


def _paragraph_style_names(document: WordDocument) -> dict[str | None, str]:
    """Lower-cased paragraph style names by style id, the default style's under None: read once.
    python-docx's `Paragraph.style` looks the style up in styles.xml with an XPath query for
    every paragraph (about 1 ms each: minutes for a document of 100,000 paragraphs)."""
    names: dict[str | None, str] = {}
    for style in document.styles:
        if style.type == WD_STYLE_TYPE.PARAGRAPH:
            names[style.style_id] = (style.name or "").lower()
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    names[None] = (default.name or "").lower() if default is not None else ""
    return names


def _unreadable(kind: str, error: Exception) -> UnparseableArticleError:
    return UnparseableArticleError(
        f"it is a {kind} file that cannot be read ({error}): open it and save it again, or "
        "export the release as text"
    )


def _title_position(blocks: list[tuple[str, str]]) -> int | None:
    for styles in (_TITLE_STYLES, _HEADING_STYLES):
        for index, (_, style) in enumerate(blocks):
            if style.startswith(styles):
                return index
    return 0 if blocks else None


def _page_paragraphs(page: str) -> list[str]:
    """A page's text (laid out: gaps between paragraphs are blank lines) as paragraphs; a page
    without any gap is cut where a line ends a sentence short of the measure."""
    lines = [line.strip() for line in page.replace("\r\n", "\n").split("\n")]
    if "" in lines[1:-1]:
        return [clean(p) for p in "\n".join(lines).split("\n\n") if clean(p)]
    measure = max((len(line) for line in lines), default=0)
    found: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line:
            found.append(" ".join(current))
            current = []
            continue
        current.append(line)
        if _SENTENCE_END.search(line) and len(line) < _SHORT_LINE * measure:
            found.append(" ".join(current))
            current = []
    found.append(" ".join(current))
    return [clean(paragraph) for paragraph in found if clean(paragraph)]


def _pdf_title(blocks: list[str], stated: str) -> tuple[str, tuple[str, ...]]:
    content = [block for block in blocks if not _LETTERHEAD.match(block)]
    if not content:
        content = blocks
    if stated and not _GENERATED_TITLE.match(stated):
        for index, block in enumerate(content[:5]):
            if block.startswith(stated):
                rest = clean(block.removeprefix(stated))
                body = ([rest] if rest else []) + content[index + 1 :]
                return stated, tuple(body)
    return content[0], tuple(content[1:])


def _pdf_date(info: pypdf.DocumentInformation | None, name: str) -> datetime | None:
    if info is None:
        return None
    try:
        value = getattr(info, name)
    except (ValueError, TypeError):  # a malformed date string
        return None
    return value if isinstance(value, datetime) else None


def _publication(value: datetime | None) -> Publication | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return Publication(day=value.date())
    return Publication(day=value.date(), moment=value.astimezone(UTC))


def _moment(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None and value.tzinfo is not None else None
