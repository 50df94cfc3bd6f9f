"""Word (.docx) and PDF press releases, read from their bytes."""

import io
import zipfile
from datetime import UTC, date, datetime

import pytest

from newswire_enrich.article import Publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.office import parse_docx, parse_pdf
from tests.support.enrichers import docx_document, pdf_document

BODY = [
    "LYON, 11 September 2024. Acme Robotics today opened its first factory in France.",
    "The factory employs 240 people and cost 80 million euros.",
]


def test_a_word_release_gives_its_title_paragraphs_author_and_dates() -> None:
    created = datetime(2024, 9, 11, 7, 0, tzinfo=UTC)
    data = docx_document(
        "Acme opens a factory in Lyon", BODY, "Marie Curval", created, letterhead="PRESS RELEASE"
    )

    article = parse_docx(data)

    assert (
        article.title == "Acme opens a factory in Lyon"
    )  # the Title paragraph, not the template's
    assert article.body == tuple(BODY)  # the letterhead is not the story
    assert article.authors == ("Marie Curval",)
    assert article.publication == Publication(day=date(2024, 9, 11), moment=created)
    assert article.updated_at == created


def test_a_pdf_release_gives_its_title_paragraphs_author_and_dates() -> None:
    lines = ["FOR IMMEDIATE RELEASE", "", "Acme opens a factory in Lyon", ""]
    lines += [
        "LYON, 11 September 2024. Acme Robotics today opened its first factory",
        "in France.",
        "",
    ]
    lines += [BODY[1]]
    info = {
        "Title": "Acme opens a factory in Lyon",
        "Author": "Acme Press Office",
        "CreationDate": "D:20240911090000+02'00'",
        "ModDate": "D:20240912100000Z",
    }

    article = parse_pdf(pdf_document(lines, info))

    assert article.title == "Acme opens a factory in Lyon"
    assert article.body == (
        "LYON, 11 September 2024. Acme Robotics today opened its first factory in France.",
        BODY[1],
    )  # wrapped lines joined into their paragraph
    assert article.authors == ("Acme Press Office",)
    assert article.publication == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 11, 7, 0, tzinfo=UTC)
    )
    assert article.updated_at == datetime(2024, 9, 12, 10, 0, tzinfo=UTC)


def test_a_pdf_whose_title_metadata_is_a_file_name_takes_its_first_lines() -> None:
    data = pdf_document(
        ["Harbour reopens", "", "Ships are moving again."], {"Title": "Microsoft Word - x.docx"}
    )
    article = parse_pdf(data)
    assert (article.title, article.body) == ("Harbour reopens", ("Ships are moving again.",))


def test_a_pdf_without_text_is_refused_as_a_scan() -> None:
    with pytest.raises(UnparseableArticleError, match="no text layer"):
        parse_pdf(pdf_document([], {}))


@pytest.mark.parametrize(
    ("parse", "data", "named"),
    [
        (parse_pdf, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "a PDF file"),
        (parse_docx, b"PK\x03\x04 not really a zip", "a DOCX file"),
    ],
)
def test_a_broken_document_is_refused_saying_what_to_do(
    parse: object, data: bytes, named: str
) -> None:
    assert callable(parse)
    with pytest.raises(UnparseableArticleError, match=f"it is {named} that cannot be read"):
        parse(data)


def test_a_zip_that_only_looks_like_word_is_refused() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as written:
        written.writestr("[Content_Types].xml", "<Types/>")
        written.writestr("word/document.xml", "<w:document>A story</w:document>")
    with pytest.raises(UnparseableArticleError, match="DOCX file that cannot be read"):
        parse_docx(archive.getvalue())
