"""Article files as text: the encoding their bytes are in, their media type, or why they are not
text. Pure functions of bytes and names; reading the files is the caller's business.

The encoding rule is a browser's for unlabelled pages, for the same reason: news files in the wild
are UTF-8 or a legacy Western code page.
1. A byte-order mark names the encoding (UTF-8, UTF-16 or UTF-32) and is not part of the text.
2. Otherwise the bytes are UTF-8 if they are valid UTF-8 (also when an XML declaration says
   otherwise: valid UTF-8 that is not ASCII is practically never another encoding, and
   mislabelled files are common).
3. Otherwise an XML declaration's `encoding` names it (agency XML such as AFP's NewsML 1.2 comes
   in ISO-8859-1 and says so). The declaration stays in the text, which then names an encoding it
   is no longer in: XML readers must ignore it (Newswire's enrich does).
4. Otherwise they are read in the fallback encoding (windows-1252 unless configured).
Nothing is ever replaced by U+FFFD: a byte the chosen encoding cannot map, or a NUL character (the
mark of binary files), makes the whole input "not text". A statistical detector was tried and
rejected: charset-normalizer reads the BBC corpus's one Latin-1 file (a single 0xA3, "£") as
Japanese cp932.

Before any of that, the content says whether the bytes are a known binary document (a PDF, a Word
or OpenDocument file, an image, an archive…): those are refused as `unsupported_format`, naming
the type found, rather than as text in a wrong encoding (most of a PDF is valid windows-1252).
Two of them are articles all the same, read from their bytes rather than as text: Word (.docx)
and PDF press releases (`article_document_type` tells them).
Signatures come from `filetype`; only those no text can start with count before decoding. The
short ones ("BM" of a bitmap, "ID3" of an MP3, "MZ" of a Windows program) are also the first
letters of real headlines, so they only name the type of bytes that are not text anyway.
"""

import codecs
import functools
import mimetypes
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype  # type: ignore[import-untyped]

DEFAULT_FALLBACK_ENCODING = "cp1252"

# UTF-32 before UTF-16: the UTF-32-LE mark starts with the UTF-16-LE one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Python's built-in table only: the system's mime.types differs between machines.
_MEDIA_TYPES_BY_EXTENSION = mimetypes.MimeTypes().types_map[True]

# The HTML and XML signatures of the WHATWG MIME Sniffing standard ("identifying a resource
# with an unknown MIME type"), matched after leading white space.
_HTML_SIGNATURE = re.compile(
    r"[\t\n\f\r ]*(?:<!doctype html|<html|<head|<script|<iframe|<h1|<div|<font|<table|<a|"
    r"<style|<title|<b|<body|<br|<p|<!--)[ >]",
    re.IGNORECASE,
)
_XML_SIGNATURE = re.compile(r"[\t\n\f\r ]*<\?xml")

# `filetype`'s kinds whose signature no text file starts with: long magic numbers, or structure
# (a zip's central directory, an `ftyp` box). The others are believed only of bytes that are not
# text. What Newswire reads itself (HTML, XML, JSON) is text and never matched here.
_UNMISTAKABLE_KINDS = frozenset(
    # documents, archives, images, audio and video, and the rest
    """pdf ps rtf doc docx odt xls xlsx ods ppt pptx odp epub
    zip tar rar gz bz2 xz 7z zst lz4 br deb rpm cab
    png jpg jpx apng gif webp tif psd heic avif xcf jxr dwg
    mp4 m4v m4a mov 3gp mkv webm ogg flac wav aiff avi wmv flv
    woff woff2 sqlite elf wasm""".split()  # noqa: SIM905 (a list of words reads best as words)
)
# How much of the start `filetype` looks at.
_SIGNATURE_BYTES = 8192
# The binary documents that are articles: Newswire reads them from their bytes.
_ARTICLE_DOCUMENT_KINDS = frozenset({"pdf", "docx"})
# `<?xml version="1.0" encoding="ISO-8859-1"?>`, read in ASCII (every encoding such a file can be
# in without a byte-order mark writes it in ASCII bytes).
_XML_DECLARED_ENCODING = re.compile(
    rb"""[\t\n\r ]*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._\-]*)["']"""
)


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    """Python's name of the codec the bytes were read with, e.g. `utf-8`, `cp1252`."""


class NotTextError(ValueError):
    """The bytes are not text under the rule above; `error_type` says which way."""

    def __init__(self, error_type: str, reason: str) -> None:
        super().__init__(reason)
        self.error_type = error_type


@functools.lru_cache(maxsize=16)
def _kind_by_signature(signature: bytes) -> "filetype.Type | None":
    """What filetype's matchers say of a file's first bytes. Each file is asked about twice on
    its way to a message (is it a document we read? is it text?), and the matchers are a fifth
    of ingest's time per file: the second answer comes from here."""
    return filetype.guess(signature) if signature else None


def _kind(data: bytes) -> "filetype.Type | None":
    return _kind_by_signature(data[:_SIGNATURE_BYTES])


def article_document_type(data: bytes) -> str | None:
    """The media type of a binary document Newswire reads as an article (a Word .docx or a PDF,
    told by its content), or None for anything else."""
    kind = _kind(data)
    if kind is not None and kind.extension in _ARTICLE_DOCUMENT_KINDS:
        return str(kind.mime)
    return None


def decode_text(data: bytes, fallback_encoding: str = DEFAULT_FALLBACK_ENCODING) -> DecodedText:
    kind = _kind(data)
    if kind is not None and kind.extension in _UNMISTAKABLE_KINDS:
        raise _unsupported(kind)
    try:
        text, encoding = _decode(data, fallback_encoding)
    except NotTextError as error:
        if kind is not None:
            raise _unsupported(kind) from error
        raise
    nul = text.find("\x00")
    if nul >= 0:
        if kind is not None:
            raise _unsupported(kind)
        raise NotTextError(
            "binary", f"character {nul} is NUL (read as {encoding}): binary files are not articles"
        )
    return DecodedText(text=text, encoding=encoding)


def _unsupported(kind: "filetype.Type") -> NotTextError:
    return NotTextError(
        "unsupported_format",
        f"it is a {kind.extension.upper()} file ({kind.mime}), not a text article: Newswire "
        "reads text, Markdown, HTML, JSON, news XML (NewsML, NITF, RSS, Atom), e-mail, Word "
        "(.docx) and PDF; save or export the article as one of those",
    )


def _decode(data: bytes, fallback_encoding: str) -> tuple[str, str]:
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return _decode_from(data, len(mark), encoding, "named by its byte-order mark"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        declared = _xml_declared_encoding(data)
        if declared == "iso8859-1":
            # As browsers do (the WHATWG Encoding standard), ISO-8859-1 is read as its superset
            # windows-1252: agency files so labelled hold its quotes and dashes in 0x80-0x9f.
            try:
                return data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                return data.decode("iso8859-1"), "iso8859-1"
        if declared is not None:
            return _decode_from(data, 0, declared, "named by its XML declaration"), declared
        encoding = codecs.lookup(fallback_encoding).name
        return _decode_from(
            data, 0, encoding, "the fallback for files that are not UTF-8"
        ), encoding


def _xml_declared_encoding(data: bytes) -> str | None:
    """The codec an XML declaration names, when Python knows one by that name and it is not a
    Unicode one (bytes that reach here are not UTF-8, and UTF-16/32 need a byte-order mark)."""
    declared = _XML_DECLARED_ENCODING.match(data[:_SIGNATURE_BYTES])
    if declared is None:
        return None
    try:
        codec = codecs.lookup(declared.group(1).decode("ascii")).name
    except LookupError:
        return None
    if codec.startswith("utf"):
        return None
    return codec


def _decode_from(data: bytes, start: int, encoding: str, why_this_encoding: str) -> str:
    try:
        return data[start:].decode(encoding)
    except UnicodeDecodeError as error:
        offset = start + error.start
        raise NotTextError(
            "undecodable",
            f"byte 0x{data[offset]:02x} at offset {offset} is not valid {encoding} "
            f"({why_this_encoding}): save the file as UTF-8",
        ) from error


def media_type(file_name: str, text: str) -> str:
    """The type the name's extension stands for, else what the text looks like."""
    by_extension = _MEDIA_TYPES_BY_EXTENSION.get(PurePosixPath(file_name).suffix.lower())
    if by_extension is not None:
        return by_extension
    if _HTML_SIGNATURE.match(text):
        return "text/html"
    if _XML_SIGNATURE.match(text):
        return "text/xml"
    return "text/plain"
