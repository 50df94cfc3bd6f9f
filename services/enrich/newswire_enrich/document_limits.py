"""How much of a document enrich agrees to read, checked before a parser is let loose on it.

A small file can unpack into something enormous: a 55 KB Word file whose `document.xml` holds
18.5 MB of paragraphs, a ZIP member that inflates a thousandfold. A parser handed such a file
spends minutes and gigabytes before it fails, so these limits are checked first, on what the
file says about itself (a ZIP's central directory, a PDF's page count, the paragraphs in the
XML), at a cost linear in the bytes and small: the input is refused with a reason naming the
limit and the setting that raises it. What slips past (a parser's own pathology) meets the hard
time and memory budget of the process that parses (`parser_process`).

The limits again apply to what a parser made of each article: its paragraphs and characters.
Pure: no I/O beyond reading the bytes given.
"""

import io
import re
import zipfile
from dataclasses import dataclass

from newswire_enrich.article import ParsedArticle
from newswire_enrich.errors import DocumentTooLargeError

MIB = 1024 * 1024
# Members smaller than this are never suspicious for their compression ratio: small XML parts
# (styles, settings) of a real document often compress very well.
_RATIO_FLOOR_BYTES = MIB
# An OOXML paragraph, in any namespace prefix (`w:p` in Word, `a:p` in drawings): over-counting
# drawings' paragraphs only makes the limit stricter for documents far beyond it anyway.
_OOXML_PARAGRAPH = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?p[\s/>]")


@dataclass(frozen=True)
class DocumentLimits:
    """The most enrich reads of one input; each is a setting (`NEWSWIRE_ENRICH_MAX_*`)."""

    max_input_characters: int = 10 * MIB
    max_paragraphs: int = 5_000
    max_article_characters: int = 1_000_000
    max_unpacked_bytes: int = 100 * MIB
    max_package_parts: int = 1_000
    max_compression_ratio: int = 100
    max_pdf_pages: int = 200


def check_text(content: str, limits: DocumentLimits) -> None:
    """A text input (every format but Word and PDF) is not longer than enrich reads."""
    if len(content) > limits.max_input_characters:
        raise DocumentTooLargeError(
            f"{len(content):,} characters of text; the limit is "
            f"{limits.max_input_characters:,} (NEWSWIRE_ENRICH_MAX_INPUT_CHARACTERS)"
        )


def check_package(data: bytes, limits: DocumentLimits, main_part: str | None = None) -> None:
    """A ZIP package (a Word .docx) unpacks within the limits, judged by its central directory
    before anything is inflated; then its `main_part` (Word's `word/document.xml`) holds no more
    paragraphs than an article may. A damaged ZIP is left to the parser to name."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_package_parts:
            raise DocumentTooLargeError(
                f"a package of {len(members):,} parts; the limit is "
                f"{limits.max_package_parts:,} (NEWSWIRE_ENRICH_MAX_PACKAGE_PARTS)"
            )
        unpacked = sum(member.file_size for member in members)
        if unpacked > limits.max_unpacked_bytes:
            raise DocumentTooLargeError(
                f"a package that unpacks to {unpacked / MIB:,.1f} MiB; the limit is "
                f"{limits.max_unpacked_bytes / MIB:,.1f} MiB (NEWSWIRE_ENRICH_MAX_UNPACKED_BYTES)"
            )
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > _RATIO_FLOOR_BYTES and ratio > limits.max_compression_ratio:
                raise DocumentTooLargeError(
                    f"part {member.filename!r} inflates {ratio:,.0f}-fold "
                    f"({member.compress_size:,} bytes to {member.file_size:,}): a compression "
                    f"bomb, or a document far larger than an article; the limit is "
                    f"{limits.max_compression_ratio}-fold (NEWSWIRE_ENRICH_MAX_COMPRESSION_RATIO)"
                )
        if main_part is not None and main_part in archive.namelist():
            # Sizes are checked: the part inflates to at most what its directory entry says.
            paragraphs = len(_OOXML_PARAGRAPH.findall(archive.read(main_part)))
            _check_paragraphs(paragraphs, limits)


def check_pages(pages: int, limits: DocumentLimits) -> None:
    if pages > limits.max_pdf_pages:
        raise DocumentTooLargeError(
            f"a PDF of {pages:,} pages; the limit is {limits.max_pdf_pages:,} "
            "(NEWSWIRE_ENRICH_MAX_PDF_PAGES): send the press release, not the whole report"
        )


def check_article(article: ParsedArticle, limits: DocumentLimits) -> None:
    """What a parser made of one article is within the limits."""
    _check_paragraphs(len(article.body), limits)
    characters = len(article.title) + sum(len(paragraph) for paragraph in article.body)
    if characters > limits.max_article_characters:
        raise DocumentTooLargeError(
            f"an article of {characters:,} characters; the limit is "
            f"{limits.max_article_characters:,} (NEWSWIRE_ENRICH_MAX_ARTICLE_CHARACTERS)"
        )


def _check_paragraphs(paragraphs: int, limits: DocumentLimits) -> None:
    if paragraphs > limits.max_paragraphs:
        raise DocumentTooLargeError(
            f"{paragraphs:,} paragraphs; the limit is {limits.max_paragraphs:,} "
            "(NEWSWIRE_ENRICH_MAX_PARAGRAPHS)"
        )
