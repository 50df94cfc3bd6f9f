"""The newsroom export format of the reference sample (`shared/samples/`).

    ␠date 2024-09-11 WORLD           header: date and section
    3 MIN READ                      reading time (optional)
    Iran's Pezeshkian visits Iraq…  title
    New agreements are expected…    standfirst (optional)
    President … trip. / Photo: AA   image caption / credit (optional)
    September 11, 2024              date line (optional)
                                    a blank line ends the head block
    Body paragraphs, blank-line separated…
    RelatedCan Masoud Pezeshkian…   trailing related-article lines (optional)

The head block's optional lines are told apart by their shape, so any of them may be missing.
"""

import re

from newswire_enrich.article import ParsedArticle, Publication
from newswire_enrich.dates import parse_publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.text import paragraphs
from newswire_enrich.sections import normalise_section

HEADER = re.compile(
    r"^\s*date\s+(?P<date>\d{4}-\d{2}-\d{2})(?:[ \t]+(?P<section>[^\n]*?))?[ \t]*$",
    re.IGNORECASE,
)
READING_TIME = re.compile(r"^(?P<minutes>\d+)\s*(?:min|mins|minute|minutes)\s+read$", re.IGNORECASE)
CAPTION = re.compile(r"^(?P<caption>.*?)\s*/\s*photo\s*:\s*(?P<credit>.+)$", re.IGNORECASE)
# `Related` is glued to the title in the export ("RelatedCan …"), or followed by a separator.
RELATED = re.compile(
    r"^Related(?:\s*[:|\-\u2013\u2014]\s*|\s+|(?=[A-Z0-9\"\u201c\u2018']))(?P<title>\S.*)$"
)


def has_header(content: str) -> bool:
    first_line = content.lstrip("\ufeff").split("\n", 1)[0]
    return HEADER.match(first_line) is not None


def parse_header_text(content: str) -> ParsedArticle:
    lines = content.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    header = HEADER.match(lines[0])
    if header is None:
        raise UnparseableArticleError("first line is not a `date YYYY-MM-DD SECTION` header")
    head_end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    head = [line.strip() for line in lines[1:head_end]]
    body = paragraphs("\n".join(lines[head_end:]))
    if not body:
        raise UnparseableArticleError(
            "no body: the head block must be followed by a blank line, then the paragraphs"
        )

    reading_time = READING_TIME.match(head[0]) if head else None
    if reading_time:
        head = head[1:]
    if not head:
        raise UnparseableArticleError("no title line after the header")
    title, rest = head[0], head[1:]

    caption = credit = None
    date_line: Publication | None = None
    standfirst_lines: list[str] = []
    for line in rest:
        if photo := CAPTION.match(line):
            caption, credit = photo["caption"] or None, photo["credit"]
        elif date_line is None and (stated := parse_publication(line)) is not None:
            date_line = stated
        else:
            standfirst_lines.append(line)

    related: list[str] = []
    while body and (link := RELATED.match(body[-1])):
        related.insert(0, link["title"])
        body = body[:-1]

    return ParsedArticle(
        title=title,
        body=body,
        standfirst=" ".join(standfirst_lines) or None,
        publication=parse_publication(header["date"]) or date_line,
        section=normalise_section(header["section"] or ""),
        reading_time_minutes=int(reading_time["minutes"]) if reading_time else None,
        image_caption=caption,
        image_credit=credit,
        related_titles=tuple(related),
    )
