"""E-mailed press releases: subject, text part, Date, From; attachments ignored unless the release
is the attached document."""

import base64
from datetime import UTC, date, datetime
from email.message import EmailMessage

import pytest

from newswire_enrich.article import ParsedArticle, Publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers import parse_document
from newswire_enrich.parsers.email_message import looks_like_mail, parse_email
from tests.conftest import REPO_ROOT
from tests.support.enrichers import docx_document

RELEASE = (REPO_ROOT / "tests" / "fixtures" / "formats" / "press-release.eml").read_text()


def test_subject_text_part_date_and_sender_make_the_article() -> None:
    article = parse_email(RELEASE)

    assert article.title == "Acme Robotics opens its first factory in Lyon"  # without `Fwd:`
    assert article.body == (
        "LYON, France, 11 September 2024 \u2013 Acme Robotics today opened its first factory in "
        "France, a plant that will build 5,000 warehouse robots a year.",
        "The factory employs 240 people and cost 80 million euros, the company said.",
        '"Lyon gives us the engineers we need," said chief executive Marie Curval.',
    )  # the plain-text part, its quoted-printable soft breaks joined
    assert article.publication == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 11, 7, 0, tzinfo=UTC)
    )
    assert article.authors == ("Acme Robotics Press Office",)
    assert article.provider == "Acme Robotics"  # its Organization header
    assert article.guid == "20240911090000.12345@acme-robotics.example"


def test_an_html_only_mail_is_read_from_its_html_and_the_domain_is_the_provider() -> None:
    message = EmailMessage()
    message["From"] = "press@harbour.example"
    message["Subject"] = "New ferry route"
    message.set_content("<p>The new route opens in May.</p><p>Tickets are on sale.</p>", "html")

    article = parse_email(message.as_string())

    assert article.body == ("The new route opens in May.", "Tickets are on sale.")
    assert (article.authors, article.provider) == (("press@harbour.example",), "harbour.example")
    assert article.publication is None  # no Date header: never invented


def test_a_release_attached_as_a_word_document_is_read_from_the_attachment() -> None:
    message = EmailMessage()
    message["From"] = "Press <press@acme.example>"
    message["Subject"] = "Press release"
    message["Date"] = "Thu, 12 Sep 2024 10:00:00 +0000"
    message.set_content("Please find our press release attached.")
    attached = docx_document(
        "Acme opens a factory in Lyon",
        ["Acme opened a factory in Lyon on Thursday.", "It employs 240 people."],
        "Marie Curval",
        datetime(2024, 9, 10, 8, 0, tzinfo=UTC),
    )
    message.add_attachment(
        attached,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="release.docx",
    )

    (article,) = parse_document("email", message.as_string())

    assert isinstance(article, ParsedArticle)
    assert article.title == "Acme opens a factory in Lyon"
    assert article.body == ("Acme opened a factory in Lyon on Thursday.", "It employs 240 people.")
    assert article.authors == ("Marie Curval",)
    assert article.publication == Publication(
        day=date(2024, 9, 12), moment=datetime(2024, 9, 12, 10, 0, tzinfo=UTC)
    )  # when it was sent
    assert article.provider == "acme.example"


def test_other_attachments_are_ignored() -> None:
    assert "iVBOR" not in " ".join(parse_email(RELEASE).body)
    assert base64.b64decode("iVBORw0KGgo=")  # the fixture's PNG attachment is really there


def test_a_mail_without_a_subject_is_refused() -> None:
    with pytest.raises(UnparseableArticleError, match="no Subject"):
        parse_email("From: a@b.example\nTo: c@d.example\n\nText.\n")


@pytest.mark.parametrize(
    ("text", "is_mail"),
    [
        (RELEASE, True),
        ("From: a@b.example\nSubject: Hi\n\nBody", True),
        ("Analysis: why rates fell\n\nBody", False),
        ("Subject: one header is not a mail\n\nBody", False),
        ("Title line\nFrom: a@b.example\nSubject: x\n\nBody", False),
    ],
)
def test_a_mail_is_told_by_its_head_block(text: str, is_mail: bool) -> None:
    assert looks_like_mail(text) is is_mail
