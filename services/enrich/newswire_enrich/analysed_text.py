"""The text NER reads for one article, and the way back from its offsets to the article's fields.

Title, standfirst, image caption and body paragraphs are joined with blank lines into one text,
so that one `nlp.pipe` document covers the article; each entity span found in it is mapped back
to the field (and paragraph) it lies in.
"""

from dataclasses import dataclass

from newswire.enriched import TextField, TextSpan
from newswire_enrich.article import ParsedArticle
from newswire_enrich.entities import Mention, trim_to_name
from newswire_enrich.parsers.text import clean
from newswire_enrich.pipeline import EntitySpan

SEGMENT_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class _Segment:
    field: TextField
    paragraph: int | None
    start: int  # in the analysed text
    text: str


class AnalysedText:
    def __init__(self, article: ParsedArticle) -> None:
        parts: list[tuple[TextField, int | None, str | None]] = [
            ("title", None, article.title),
            ("standfirst", None, article.standfirst),
            ("image_caption", None, article.image_caption),
            *(("body", number, paragraph) for number, paragraph in enumerate(article.body)),
        ]
        self.segments: list[_Segment] = []
        offset = 0
        for text_field, paragraph, text in parts:
            if text:
                self.segments.append(_Segment(text_field, paragraph, offset, text))
                offset += len(text) + len(SEGMENT_SEPARATOR)
        self.text = SEGMENT_SEPARATOR.join(segment.text for segment in self.segments)

    def mentions(self, spans: list[EntitySpan]) -> list[Mention]:
        found: list[Mention] = []
        for label, start, end in spans:
            segment = next(s for s in reversed(self.segments) if s.start <= start)
            # An entity never spans two segments; clip the rare one that runs over the separator.
            segment_end = min(end, segment.start + len(segment.text))
            trimmed = trim_to_name(segment.text, start - segment.start, segment_end - segment.start)
            if trimmed is None:
                continue
            local_start, local_end = trimmed
            span = TextSpan(
                field=segment.field, paragraph=segment.paragraph, start=local_start, end=local_end
            )
            surface = clean(segment.text[local_start:local_end])
            found.append(Mention(label, surface, span, order=segment.start + local_start))
        return found
