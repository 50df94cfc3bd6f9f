"""IPTC ninjs (News in JSON), 1.x to 3.x: one news object per file, or in arrays and JSON Lines.

1.x writes `headline`, `body_html`/`body_text` (or any `headline_*`, `body_*`,
`description_*`), `byline`, `subject`, `genre`, `embargoed`; 2.x and 3.x write `headlines`,
`bodies` and `descriptions` as lists of `{role, contenttype, value}`, `by`, `subjects`, `genres`,
and 3.x camelCase names (`versionCreated`, `embargoedUntil`). Keys are compared without case, `_`
or `-`, so one reading covers them all. The publication is `firstcreated`, else
`versioncreated`; a picture, video or audio object is not an article.
"""

from collections.abc import Mapping

from newswire.enriched import Concept, Place
from newswire_enrich.article import Embargo, ParsedArticle
from newswire_enrich.dates import parse_moment, parse_timestamp
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.fields import authors_of, first_of, normalised_keys, text_of, texts_of
from newswire_enrich.parsers.markup import html_paragraphs
from newswire_enrich.parsers.text import paragraphs
from newswire_enrich.parsers.wire import concept_code, concepts, pub_status, urgency, version

_MARKERS = ("versioncreated", "firstcreated", "pubstatus", "headlines", "bodies", "bodyhtml")
_TEXT_TYPES = {"text", "composite"}


def is_ninjs(fields: Mapping[str, object]) -> bool:
    """A ninjs news object: a `uri` and one of ninjs's own fields, or a ninjs `standard`."""
    keyed = normalised_keys(fields)
    standard = keyed.get("standard") or keyed.get("$standard")
    if isinstance(standard, Mapping) and str(standard.get("name", "")).lower() == "ninjs":
        return True
    return "uri" in keyed and any(marker in keyed for marker in _MARKERS)


def ninjs_article(fields: Mapping[str, object]) -> ParsedArticle:
    keyed = normalised_keys(fields)
    kind = text_of(keyed.get("type"))
    if kind and kind.lower() not in _TEXT_TYPES:
        raise UnparseableArticleError(f"it is a ninjs {kind} object, not a text article")
    title = _main(keyed, "headline")
    if not title:
        raise UnparseableArticleError(
            "no headline: expected `headline`, `headline_*` or `headlines`"
        )
    versioncreated = text_of(keyed.get("versioncreated"))
    published = text_of(keyed.get("firstcreated")) or versioncreated
    embargoed = text_of(first_of(keyed, ("embargoeduntil", "embargoed")))
    located = text_of(keyed.get("located"))
    return ParsedArticle(
        title=title,
        body=_body(keyed),
        standfirst=_main(keyed, "description"),
        publication=parse_timestamp(published) if published else None,
        authors=authors_of(first_of(keyed, ("by", "byline"))),
        url=None,
        tags=texts_of(keyed.get("keywords"), split_commas=True),
        language=text_of(keyed.get("language")),
        guid=text_of(keyed.get("uri")),
        version=version(keyed.get("version")),
        provider=_provider(keyed),
        updated_at=parse_moment(versioncreated),
        content_created=parse_moment(text_of(keyed.get("contentcreated"))),
        embargo=Embargo(parse_moment(embargoed)) if embargoed else None,
        pub_status=pub_status(text_of(keyed.get("pubstatus"))),
        urgency=urgency(keyed.get("urgency")),
        slugline=text_of(keyed.get("slugline")),
        located=Place(name=located) if located else None,
        subjects=_concepts(first_of(keyed, ("subjects", "subject"))),
        genres=_concepts(first_of(keyed, ("genres", "genre"))),
        copyright=text_of(keyed.get("copyrightnotice")) or text_of(keyed.get("copyrightholder")),
        usage_terms=text_of(keyed.get("usageterms")),
        editorial_note=text_of(keyed.get("ednote")),
    )


def _main(keyed: Mapping[str, object], name: str) -> str | None:
    """The main headline or description: 2.x's list by role, else 1.x's field(s)."""
    listed = _by_role(keyed.get(f"{name}s"))
    if listed is not None:
        return text_of(_plain(listed))
    for key in (name, f"{name}main", f"{name}text", f"{name}html"):
        if (value := text_of(keyed.get(key))) is not None:
            return text_of(_plain(value)) if key.endswith("html") else value
    prefixed = sorted(key for key in keyed if key.startswith(name))
    return next((text_of(keyed[key]) for key in prefixed if text_of(keyed[key])), None)


def _body(keyed: Mapping[str, object]) -> tuple[str, ...]:
    listed = _by_role(keyed.get("bodies"))
    if listed is not None:
        return html_paragraphs(listed)
    for key in ("bodyhtml", "bodyxhtml", "bodyrichtext", "bodymain", "bodytext", "body"):
        value = keyed.get(key)
        if isinstance(value, str) and value.strip():
            return html_paragraphs(value) if "<" in value else paragraphs(value)
    return ()


def _by_role(values: object) -> str | None:
    """From `[{role, contenttype, value}]`: the main (or first) value, marked-up ones first."""
    if not isinstance(values, list):
        return None
    entries = [normalised_keys(v) for v in values if isinstance(v, Mapping) and v.get("value")]
    if not entries:
        return None

    def rank(entry: Mapping[str, object]) -> tuple[bool, bool]:
        role = str(entry.get("role") or "main").lower()
        marked_up = "html" in str(entry.get("contenttype") or "")
        return (role not in {"main", "richtext"}, not marked_up)

    return str(sorted(entries, key=rank)[0]["value"])


def _plain(value: str) -> str:
    return " ".join(html_paragraphs(value)) if "<" in value else value


def _provider(keyed: Mapping[str, object]) -> str | None:
    sources = first_of(keyed, ("infosources", "infosource"))
    if isinstance(sources, list):
        names = [text_of(s) for s in sources if isinstance(s, Mapping)]
        return next((name for name in names if name), None)
    return text_of(sources)


def _concepts(values: object) -> tuple[Concept, ...]:
    if not isinstance(values, list):
        return ()
    pairs = []
    for value in values:
        if not isinstance(value, Mapping):
            continue
        keyed = normalised_keys(value)
        code = text_of(keyed.get("code"))
        scheme = text_of(keyed.get("scheme"))
        pairs.append(
            (
                concept_code(code, scheme) if code else concept_code(text_of(keyed.get("uri"))),
                text_of(keyed.get("name")) or text_of(keyed.get("literal")),
            )
        )
    return concepts(pairs)
