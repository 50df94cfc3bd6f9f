"""E-mailed press releases (RFC 822 / MIME, `.eml`), read by the standard library's `email`.

The subject is the title (without `Fwd:`), the plain-text part the body (else the HTML part),
`Date` the publication, `From` the author (the name, else the address) and the sender's domain
the provider; `Message-ID` is the source's id. A release sent as an attached Word or PDF document
with next to no text in the mail itself is read from the attachment, the mail's headers filling
what the document lacks; other attachments are ignored.
"""

import dataclasses
import email
import email.policy
import re
from collections.abc import Callable
from datetime import UTC
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from newswire_enrich.article import ParsedArticle, Publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.markup import html_paragraphs
from newswire_enrich.parsers.text import clean, paragraphs

_FORWARDED = re.compile(r"^(?:\s*(?:fwd?|fw|tr|wg)\s*:\s*)+", re.IGNORECASE)
# Headers every mail has; a text is taken for a mail when its head block names two of them.
MAIL_HEADERS = frozenset(
    {"from", "to", "cc", "subject", "date", "message-id", "mime-version", "received"}
    | {"return-path", "reply-to", "content-type", "sender", "delivered-to"}
)
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]")
# A mail whose own text is shorter than this is a cover note for its attachment.
COVER_NOTE_WORDS = 60
ATTACHMENT_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}

AttachmentReader = Callable[[str, bytes], ParsedArticle]


def looks_like_mail(content: str) -> bool:
    """Its head block (up to the first blank line) is all header lines, two of them mail's."""
    head = content.lstrip("\ufeff").replace("\r\n", "\n").split("\n\n", 1)[0]
    names: set[str] = set()
    for line in head.split("\n")[:200]:
        if line[:1] in {" ", "\t"} and names:  # a folded header's continuation
            continue
        header = _HEADER_LINE.match(line)
        if header is None:
            return False
        names.add(header.group(1).lower())
    return len(names & MAIL_HEADERS) >= 2 and bool(names & {"from", "subject"})


def parse_email(content: str, read_attachment: AttachmentReader | None = None) -> ParsedArticle:
    message = email.message_from_string(content.lstrip("\ufeff"), policy=email.policy.default)
    if not isinstance(message, EmailMessage):
        raise UnparseableArticleError("the e-mail cannot be read")
    body = _body(message)
    subject = _FORWARDED.sub("", clean(str(message.get("subject", ""))))
    sender = _sender(message)
    article = ParsedArticle(
        title=subject,
        body=body,
        publication=_date(message),
        authors=(sender[0],) if sender else (),
        guid=clean(str(message.get("message-id", ""))).strip("<>") or None,
        provider=clean(str(message.get("organization", ""))) or (sender[1] if sender else None),
        language=clean(str(message.get("content-language", ""))) or None,
    )
    if read_attachment and sum(len(p.split()) for p in body) < COVER_NOTE_WORDS:
        attached = _attached_release(message, read_attachment)
        if attached is not None:
            return _merge(attached, article)
    if not article.title:
        raise UnparseableArticleError("the e-mail has no Subject to be its title")
    return article


def _body(message: EmailMessage) -> tuple[str, ...]:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ()
    try:
        text = part.get_content()
    except (LookupError, UnicodeError) as error:
        raise UnparseableArticleError(f"the e-mail's text cannot be decoded: {error}") from error
    if not isinstance(text, str):
        return ()
    if part.get_content_subtype() == "html":
        return html_paragraphs(text)
    return paragraphs(text)


def _sender(message: EmailMessage) -> tuple[str, str | None] | None:
    """(name or address, the address's domain) of the From header."""
    addresses = getaddresses([str(message.get("from", ""))])
    if not addresses or not any(addresses[0]):
        return None
    name, address = addresses[0]
    domain = address.rpartition("@")[2].lower() or None if "@" in address else None
    return clean(name) or address, domain


def _date(message: EmailMessage) -> Publication | None:
    stated = message.get("date")
    if not stated:
        return None
    try:
        moment = parsedate_to_datetime(str(stated))
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return Publication(day=moment.date())
    return Publication(day=moment.date(), moment=moment.astimezone(UTC))


def _attached_release(
    message: EmailMessage, read_attachment: AttachmentReader
) -> ParsedArticle | None:
    for part in message.iter_attachments():
        kind = ATTACHMENT_TYPES.get(part.get_content_type())
        data = part.get_payload(decode=True)
        if kind and isinstance(data, bytes):
            try:
                return read_attachment(kind, data)
            except UnparseableArticleError:
                continue
    return None


def _merge(document: ParsedArticle, mail: ParsedArticle) -> ParsedArticle:
    """The attached document's article, with the mail's own fields where it has none."""
    return dataclasses.replace(
        document,
        title=document.title or mail.title,
        publication=mail.publication or document.publication,
        authors=document.authors or mail.authors,
        guid=mail.guid,
        provider=mail.provider,
        language=document.language or mail.language,
    )
