"""Small files that unpack into something enormous, as an attacker (or a broken exporter) makes
them: built from a real Word document (python-docx's own template) by swapping its main part,
so the benchmark (`document_bombs.py`), the tests and the e2e suites drop the same bombs."""

import io
import zipfile
from collections.abc import Iterable, Iterator

import docx

_PARAGRAPH = b"<w:p><w:r><w:t>Lorem ipsum dolor sit amet, consectetur.</w:t></w:r></w:p>"
_CHUNK = 1 << 20


def _with_main_part(main_part: Iterable[bytes]) -> bytes:
    """A real .docx whose `word/document.xml` is replaced by `main_part`, deflated at level 9
    as it is written (never whole in memory)."""
    template = io.BytesIO()
    docx.Document().save(template)
    source = zipfile.ZipFile(template)
    saved = io.BytesIO()
    with zipfile.ZipFile(saved, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member in source.infolist():
            if member.filename != "word/document.xml":
                archive.writestr(member.filename, source.read(member.filename))
                continue
            with archive.open(member.filename, "w", force_zip64=True) as part:
                for chunk in main_part:
                    part.write(chunk)
    return saved.getvalue()


def _document_xml(body: Iterable[bytes]) -> Iterator[bytes]:
    yield (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document '
        b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    yield from body
    yield b"</w:body></w:document>"


def _repeated(unit: bytes, times: int) -> Iterator[bytes]:
    per_chunk = max(1, _CHUNK // len(unit))
    chunk = unit * per_chunk
    for _ in range(times // per_chunk):
        yield chunk
    yield unit * (times % per_chunk)


def paragraph_bomb(paragraphs: int = 250_000) -> bytes:
    """A Word file of about 60 KB whose main part holds `paragraphs` paragraphs (the probe's:
    18.5 MB of them), which python-docx reads one style lookup at a time."""
    return _with_main_part(_document_xml(_repeated(_PARAGRAPH, paragraphs)))


def zip_bomb(unpacked_bytes: int = 1_500_000_000) -> bytes:
    """A Word file whose main part is one run of `unpacked_bytes` letters: about a thousandth of
    that on disk (the probe's: 1.5 MB that takes 3.3 GB to read)."""
    run = [b"<w:p><w:r><w:t>", *_repeated(b"a", unpacked_bytes), b"</w:t></w:r></w:p>"]
    return _with_main_part(_document_xml(run))
