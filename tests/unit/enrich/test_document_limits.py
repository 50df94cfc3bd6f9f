"""Inputs past enrich's limits are refused before a parser reads them, saying which limit and
which setting raises it; documents within them read as before."""

import io
import zipfile
from datetime import UTC, datetime

import pypdf
import pytest

from benchmarks.bombs import paragraph_bomb, zip_bomb
from newswire_enrich.article import ParsedArticle
from newswire_enrich.document_limits import (
    DocumentLimits,
    check_article,
    check_package,
    check_pages,
    check_text,
)
from newswire_enrich.documents import DocumentInput, InProcessReader
from newswire_enrich.errors import DocumentTooLargeError
from newswire_enrich.parsers.office import parse_docx, parse_pdf
from tests.support.enrichers import docx_document

LIMITS = DocumentLimits()


def test_a_word_paragraph_bomb_is_refused_for_its_compression_ratio_before_parsing() -> None:
    bomb = paragraph_bomb()
    assert len(bomb) < 100_000
    with pytest.raises(DocumentTooLargeError, match=r"inflates \d+-fold.*COMPRESSION_RATIO"):
        check_package(bomb, LIMITS, "word/document.xml")


def test_a_word_file_with_more_paragraphs_than_an_article_is_refused_by_its_count() -> None:
    lenient_ratio = DocumentLimits(max_compression_ratio=10**6)
    with pytest.raises(DocumentTooLargeError, match=r"250,000 paragraphs.*MAX_PARAGRAPHS"):
        check_package(paragraph_bomb(), lenient_ratio, "word/document.xml")


def test_a_zip_bomb_is_refused_by_what_its_directory_says_it_unpacks_to() -> None:
    with pytest.raises(DocumentTooLargeError, match=r"unpacks to 286.\d MiB.*UNPACKED_BYTES"):
        parse_docx(zip_bomb(300_000_000))


def test_a_package_of_too_many_parts_is_refused() -> None:
    saved = io.BytesIO()
    with zipfile.ZipFile(saved, "w") as archive:
        for n in range(20):
            archive.writestr(f"part-{n}.xml", b"<x/>")
    with pytest.raises(DocumentTooLargeError, match=r"20 parts; the limit is 10 "):
        check_package(saved.getvalue(), DocumentLimits(max_package_parts=10))


def test_a_real_press_release_in_word_is_within_every_limit() -> None:
    data = docx_document("Title", ["One.", "Two."], "Author", datetime(2024, 1, 1, tzinfo=UTC))
    check_package(data, LIMITS, "word/document.xml")
    assert parse_docx(data).body == ("One.", "Two.")


def test_a_pdf_of_more_pages_than_allowed_is_refused_not_cut_short() -> None:
    writer = pypdf.PdfWriter()
    for _ in range(5):
        writer.add_blank_page(612, 792)
    saved = io.BytesIO()
    writer.write(saved)
    with pytest.raises(DocumentTooLargeError, match=r"5 pages; the limit is 4 .*PDF_PAGES"):
        parse_pdf(saved.getvalue(), DocumentLimits(max_pdf_pages=4))
    check_pages(4, DocumentLimits(max_pdf_pages=4))


def test_a_text_input_longer_than_allowed_is_refused_before_its_parser_runs() -> None:
    with pytest.raises(DocumentTooLargeError, match="INPUT_CHARACTERS"):
        check_text("x" * 101, DocumentLimits(max_input_characters=100))
    reader = InProcessReader(DocumentLimits(max_input_characters=100))
    with pytest.raises(DocumentTooLargeError):
        reader.read(DocumentInput("a.txt", "text/plain", "Title\n\n" + "word " * 50, None))


def test_an_article_with_too_many_paragraphs_or_characters_is_refused() -> None:
    limits = DocumentLimits(max_paragraphs=3, max_article_characters=50)
    check_article(ParsedArticle(title="T", body=("a", "b", "c")), limits)
    with pytest.raises(DocumentTooLargeError, match="4 paragraphs; the limit is 3"):
        check_article(ParsedArticle(title="T", body=("a", "b", "c", "d")), limits)
    with pytest.raises(DocumentTooLargeError, match="51 characters; the limit is 50"):
        check_article(ParsedArticle(title="T", body=("x" * 50,)), limits)


def test_several_thousand_word_paragraphs_keep_their_styles_read_once() -> None:
    paragraphs = [f"Paragraph {n}." for n in range(3000)]
    data = docx_document("A long release", paragraphs, "Author", datetime(2024, 1, 1, tzinfo=UTC))
    article = parse_docx(data)
    assert article.title == "A long release"  # found by its style, the `Title` one
    assert article.body == tuple(paragraphs)
