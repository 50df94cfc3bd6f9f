"""Article bytes to text: UTF-8 first, a byte-order mark when there is one, else the fallback
encoding; binary and undecodable input is refused, never patched with U+FFFD."""

import codecs
import io
import zipfile
from pathlib import Path

import pytest

from newswire.text_files import NotTextError, article_document_type, decode_text, media_type


def test_utf8_is_read_as_utf8() -> None:
    decoded = decode_text("A £15.8m signing \u2013 “quoted”".encode())

    assert (decoded.text, decoded.encoding) == ("A £15.8m signing \u2013 “quoted”", "utf-8")


def test_the_corpus_file_with_a_latin1_pound_sign_is_read_as_windows_1252(
    shared_dir: Path,
) -> None:
    decoded = decode_text((shared_dir / "corpora/bbc/sport/199.txt").read_bytes())

    assert decoded.encoding == "cp1252"
    assert "a £15.8m signing from Parma" in decoded.text
    assert "\ufffd" not in decoded.text


@pytest.mark.parametrize(
    ("mark", "codec"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_a_byte_order_mark_names_the_encoding_and_is_not_part_of_the_text(
    mark: bytes, codec: str
) -> None:
    decoded = decode_text(mark + "Größe £".encode(codec))

    assert (decoded.text, decoded.encoding) == ("Größe £", codec)


def test_a_byte_the_fallback_encoding_cannot_map_makes_the_file_undecodable() -> None:
    with pytest.raises(NotTextError, match="byte 0x81 at offset 3 is not valid cp1252") as error:
        decode_text(b"abc\x81def")

    assert error.value.error_type == "undecodable"


def test_the_fallback_encoding_is_configurable() -> None:
    decoded = decode_text(b"abc\x81def", fallback_encoding="latin-1")

    assert (decoded.text, decoded.encoding) == ("abc\x81def", "iso8859-1")


def test_a_nul_character_marks_a_binary_file() -> None:
    with pytest.raises(NotTextError, match="character 4 is NUL") as error:
        decode_text(b"Some\x00thing")

    assert error.value.error_type == "binary"


def _docx() -> bytes:
    document = io.BytesIO()
    with zipfile.ZipFile(document, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return document.getvalue()


@pytest.mark.parametrize(
    ("data", "named"),
    [
        # mostly valid windows-1252: without the signature it would pass for text
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >>", "a PDF file"),
        (_docx(), "a DOCX file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG file"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "a GZ file"),
        (b"ID3\x03\x00\x00\x00\x81\x8d", "a MP3 file"),  # a short signature, on non-text
    ],
)
def test_binary_documents_are_refused_by_their_type_not_by_their_encoding(
    data: bytes, named: str
) -> None:
    with pytest.raises(NotTextError, match=named) as error:
        decode_text(data)

    assert error.value.error_type == "unsupported_format"


@pytest.mark.parametrize("headline", ["BMW unveils its new car", "ID3 tags explained", "MZ at 40"])
def test_text_that_starts_like_a_short_binary_signature_is_still_text(headline: str) -> None:
    assert decode_text(headline.encode()).text == headline


@pytest.mark.parametrize(
    ("file_name", "text", "expected"),
    [
        ("story.txt", "<html><body>x</body></html>", "text/plain"),
        ("story.html", "just words", "text/html"),
        ("story.json", '{"title": "x"}', "application/json"),
        ("story", "  \n<!DOCTYPE html><html></html>", "text/html"),
        ("story", "<p>A paragraph</p>", "text/html"),
        ("story", "<pre-formatted> is not a tag we know", "text/plain"),
        ("story", '<?xml version="1.0"?><story/>', "text/xml"),
        ("story", "Plain words.", "text/plain"),
    ],
)
def test_the_media_type_comes_from_the_extension_else_from_the_text(
    file_name: str, text: str, expected: str
) -> None:
    assert media_type(file_name, text) == expected


def test_an_xml_declaration_names_the_encoding_of_bytes_that_are_not_utf8() -> None:
    declared = '<?xml version="1.0" encoding="ISO-8859-15"?><t>Prix : 5 €</t>'

    decoded = decode_text(declared.encode("iso8859-15"))

    assert (decoded.text, decoded.encoding) == (declared, "iso8859-15")


def test_latin1_declared_is_read_as_windows_1252_like_browsers_do() -> None:
    declared = '<?xml version="1.0" encoding="ISO-8859-1"?><t>\u201cD\u00e9j\u00e0\u201d</t>'

    decoded = decode_text(declared.encode("cp1252"))

    assert (decoded.text, decoded.encoding) == (declared, "cp1252")


def test_valid_utf8_stays_utf8_whatever_its_declaration_says() -> None:
    mislabelled = '<?xml version="1.0" encoding="ISO-8859-1"?><t>Déjà</t>'

    assert decode_text(mislabelled.encode()).encoding == "utf-8"


def test_an_unknown_declared_encoding_falls_back_as_before() -> None:
    decoded = decode_text(b'<?xml version="1.0" encoding="klingon"?><t>caf\xe9</t>')

    assert (decoded.encoding, decoded.text.endswith("café</t>")) == ("cp1252", True)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        (_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        (b"Plain words.", None),
        (b"", None),
    ],
)
def test_word_and_pdf_documents_are_the_binary_articles(data: bytes, expected: str | None) -> None:
    assert article_document_type(data) == expected
