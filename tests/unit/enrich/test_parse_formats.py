"""The format of a file: by content where it says (XML roots, JSON fields, mail headers, magic
bytes), else by extension, declared media type, then the content's shape."""

import io
import zipfile
from pathlib import Path

import pytest

from newswire.enriched import ArticleFormat
from newswire_enrich.errors import UnknownFormatError
from newswire_enrich.formats import detect_format
from tests.conftest import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "formats"
G2 = 'xmlns="http://iptc.org/std/nar/2006-10-01/"'


@pytest.mark.parametrize(
    ("file_name", "media_type", "content", "expected"),
    [
        ("a.txt", "text/plain", "Title\n\nBody.", "plain-text"),
        ("a.txt", "text/plain", " date 2024-09-11 WORLD\nT\n\nB", "header-text"),
        ("a.md", "text/markdown", "# T\n\nB", "markdown"),
        ("a.json", "application/json", '{"title": "T"}', "json"),
        ("a.json", "application/json", '{\n  "title": "T"\n}', "json"),
        ("a.json", "application/json", '{"title": "A"}\n{"title": "B"}\n', "json-lines"),
        ("a.jsonl", "text/plain", '{"title": "A"}\n', "json-lines"),
        ("a.HTML", "text/html", "<p>x</p>", "html"),
        ("feed", "application/x-ndjson", '{"title": "A"}\n', "json-lines"),
        ("page", "text/html; charset=utf-8", "<p>x</p>", "html"),
        ("notes", "application/octet-stream", '[{"title": "A"}]', "json"),
        ("page", "application/octet-stream", "<!DOCTYPE html><html></html>", "html"),
        ("post", "application/octet-stream", "---\ntitle: T\n---\nB", "markdown"),
        ("story", "application/octet-stream", "date 2024-09-11 WORLD\nT\n\nB", "header-text"),
    ],
)
def test_format_is_chosen_by_extension_media_type_and_content(
    file_name: str, media_type: str, content: str, expected: ArticleFormat
) -> None:
    assert detect_format(file_name, media_type, content) == expected


def test_a_file_nothing_recognises_is_an_unknown_format_with_the_reason() -> None:
    with pytest.raises(
        UnknownFormatError, match=r"extension '\.pdf', media type 'application/pdf'"
    ):
        detect_format("report.pdf", "application/pdf", "%PDF-1.7 ...")


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        # the extension is only a hint: the root element and its namespace decide
        ("story", f"<newsItem {G2}/>", "newsml-g2"),
        ("story.txt", f'<?xml version="1.0"?>\n<newsMessage {G2}/>', "newsml-g2"),
        ("story.xml", f"<packageItem {G2}/>", "newsml-g2"),  # its parser says why not
        ("story.xml", "<nitf><head/></nitf>", "nitf"),
        ("story.xml", '<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"/>', "nitf"),
        (
            "afp.xml",
            '<?xml version="1.0" encoding="ISO-8859-1"?><NewsML Version="1.2"/>',
            "newsml-1",
        ),
        ("feed", '<rss version="2.0"><channel/></rss>', "rss"),
        ("feed.xml", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "rss"),
        ("feed.html", '<feed xmlns="http://www.w3.org/2005/Atom"/>', "atom"),
        ("page.xml", '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>', "html"),
        ("a.HTML", "<p>x</p>", "html"),  # loose HTML stays HTML
        # JSON objects by their fields
        ("feed.json", '{"version": "https://jsonfeed.org/version/1.1", "items": []}', "json-feed"),
        ("story.json", '{"uri": "u", "versioncreated": "2024-09-11", "headline": "H"}', "ninjs"),
        ("x.json", '{"maintext": "B", "title": "T", "date_publish": null}', "news-please"),
        ("x.json", '{"title": "T", "url": "u"}', "json"),
        # a mail, whatever its extension
        ("release.txt", "From: a@b.example\nSubject: Launch\n\nBody.", "email"),
        ("release.eml", "Subject: Launch\n\nBody.", "email"),
    ],
)
def test_content_decides_for_wire_formats_feeds_json_kinds_and_mail(
    file_name: str, content: str, expected: ArticleFormat
) -> None:
    assert detect_format(file_name, "text/plain", content) == expected


@pytest.mark.parametrize(
    "name",
    [
        "newsml-g2-LISTING_1_A_NewsML-G2_News_Item.xml",
        "newsml-g2-LISTING_22_Sports_story_in_NewsML-G2NITF.xml",
    ],
)
def test_the_official_newsml_g2_examples_are_newsml_g2_without_their_extension(
    shared_dir: Path, name: str
) -> None:
    content = (shared_dir / "samples" / "formats" / name).read_text()
    assert detect_format("item", "application/octet-stream", content) == "newsml-g2"


def test_an_xml_fragment_of_no_news_format_is_refused_naming_its_root(shared_dir: Path) -> None:
    fragment = (
        shared_dir
        / "samples/formats/newsml-g2-LISTING_28_Illustrating_Located_Subject_and_Dateline.xml"
    )
    with pytest.raises(UnknownFormatError, match=r"root element is <contentMeta> \(no namespace\)"):
        detect_format(fragment.name, "text/xml", fragment.read_text())


def _docx_like() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as written:
        written.writestr("word/document.xml", "<w:document/>")
    return archive.getvalue()


@pytest.mark.parametrize(
    ("file_name", "data", "expected"),
    [
        ("release.pdf", b"%PDF-1.7\n", "pdf"),
        ("release", b"%PDF-1.4\n", "pdf"),  # magic bytes, not the name
        ("release.bin", _docx_like(), "docx"),
    ],
)
def test_binary_documents_are_told_by_their_magic_bytes(
    file_name: str, data: bytes, expected: ArticleFormat
) -> None:
    assert detect_format(file_name, "application/octet-stream", "", data) == expected


def test_another_binary_is_an_unknown_format_naming_what_is_read() -> None:
    with pytest.raises(UnknownFormatError, match=r"neither a PDF nor a Word \.docx"):
        detect_format("x.zip", "application/zip", "", b"PK\x03\x04 not a zip")


def test_the_fixtures_are_what_they_say(shared_dir: Path) -> None:
    expected: dict[str, ArticleFormat] = {
        "atom-1.0.xml": "atom",
        "json-feed-1.1-25-items.json": "json-feed",
        "news-please-article.json": "news-please",
        "newsml-1.2-afp-style-latin1.xml": "newsml-1",
        "newsml-g2-news-message.xml": "newsml-g2",
        "ninjs-1.6-simple-text-article.json": "ninjs",
        "ninjs-2.2-complex-text-article.json": "ninjs",
        "nitf-3.5-ap-style.xml": "nitf",
        "press-release.eml": "email",
        "rss-2.0-content-encoded.xml": "rss",
        "web-page-json-ld.html": "html",
    }
    found = {
        path.name: detect_format(path.stem, "application/octet-stream", path.read_text("latin-1"))
        for path in sorted(FIXTURES.iterdir())
        if path.name in expected
    }
    assert found == expected
