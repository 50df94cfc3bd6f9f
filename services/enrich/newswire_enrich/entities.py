"""From spaCy's entity spans to one entry per named thing, aliases merged within an article,
named the same way across articles.

Mentions are trimmed to the name (`the United States` → `United States`, `Iran's` → `Iran`); a
person's honorific or title is not part of the name (`Mr Blair` → `Blair`, `President Bush` →
`Bush`). They are then grouped: forms equal but for case and dots (`US`, `U.S.`); an acronym and
the name it abbreviates (`US`, `United States`); a surname alone and the one person of that
surname (`Pezeshkian`, `Masoud Pezeshkian`), even where the model mislabelled the surname; names
of one country or body (`US`, `USA`, `America`…; `UK`, `Britain`…). A few countries and bodies
have one name whatever form an article uses (`CANONICAL_NAMES`), so that facets count them as one.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import get_args

from newswire.enriched import Entity, EntityLabel, TextSpan

KEPT_LABELS: frozenset[str] = frozenset(get_args(EntityLabel))
# Labels a lone surname gets wrongly often enough that it still joins its person.
SURNAME_LABELS = frozenset({"PERSON", "NORP", "ORG"})
ACRONYM_LETTERS = range(2, 7)
SKIPPED_IN_ACRONYMS = frozenset({"of", "the", "and", "for", "&"})

_LEADING_ARTICLE = re.compile(r"the\s+", re.IGNORECASE)  # used with .match(), anchored at start
# Honorifics and titles written before a person's name; never part of the name.
_HONORIFIC = re.compile(
    r"(?:(?:mr|mrs|ms|miss|mx|dr|prof|professor|sir|dame|lord|lady|rev|reverend|fr|father|"
    r"president|vice[- ]president|prime minister|chancellor|senator|sen|rep|governor|gov|"
    r"mayor|minister|secretary|general|gen|colonel|col|captain|capt|judge|justice|king|queen|"
    r"prince|princess|pope|sheikh|ayatollah)\.?\s+)+",
    re.IGNORECASE,
)
# One name for a country or body, whatever form an article uses: the forms are keys of
# `_form_key` (no case, no dots). Kept to forms that name nothing else in news text.
CANONICAL_NAMES: dict[str, str] = {
    form: name
    for name, forms in {
        "United States": ("us", "usa", "united states", "united states of america", "america"),
        "United Kingdom": ("uk", "united kingdom", "britain", "great britain"),
        "European Union": ("eu", "european union"),
        "United Nations": ("un", "united nations"),
        "Soviet Union": ("ussr", "soviet union"),
    }.items()
    for form in forms
}
_TRAILING_POSSESSIVE = re.compile("['\u2019]s$")  # straight or typographic apostrophe
_EDGE_PUNCTUATION = "\"'\u201c\u201d\u2018\u2019()[],;:-\u2013\u2014 \t\n"  # quotes, dashes


@dataclass(frozen=True)
class Mention:
    label: str
    surface: str
    span: TextSpan
    order: int  # position in the article, to find the first mention


def trim_to_name(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without a leading `the`, a trailing possessive or stray punctuation."""
    previous = None
    while previous != (start, end) and start < end:
        previous = (start, end)
        while start < end and text[start] in _EDGE_PUNCTUATION:
            start += 1
        while end > start and text[end - 1] in _EDGE_PUNCTUATION:
            end -= 1
        if article := _LEADING_ARTICLE.match(text, start, end):
            start = article.end()
        if possessive := _TRAILING_POSSESSIVE.search(text, start, end):
            end = possessive.start()
    return (start, end) if start < end else None


def merge_aliases(mentions: Sequence[Mention]) -> list[Entity]:
    """One entity per named thing, most mentioned first, then in order of first mention."""
    kept = sorted(
        (_without_honorific(m) for m in mentions if m.label in KEPT_LABELS),
        key=lambda m: m.order,
    )
    by_form: dict[str, list[Mention]] = {}
    for mention in kept:
        by_form.setdefault(_form_key(mention.surface), []).append(mention)
    groups = _FormGroups(list(by_form))
    _join_acronyms(groups, by_form)
    _join_surnames(groups, by_form)
    _join_canonical(groups, by_form)

    clusters: dict[str, list[Mention]] = {}
    for form, form_mentions in by_form.items():
        clusters.setdefault(groups.find(form), []).extend(form_mentions)
    entities = [_entity(sorted(cluster, key=lambda m: m.order)) for cluster in clusters.values()]
    return sorted(entities, key=lambda entity: -entity.count)


def _entity(mentions: list[Mention]) -> Entity:
    surfaces = list(dict.fromkeys(m.surface for m in mentions))
    frequency = Counter(m.surface for m in mentions)
    # The fullest form is the least ambiguous, so it names the entity and decides its label.
    name = max(surfaces, key=lambda surface: (len(surface), frequency[surface]))
    name_key = _form_key(name)
    votes = Counter(m.label for m in mentions if _form_key(m.surface) == name_key)
    label = votes.most_common(1)[0][0]
    if label != "PERSON":
        name = CANONICAL_NAMES.get(name_key, name)
    return Entity.model_validate(
        {
            "label": label,
            "name": name,
            "surface_forms": surfaces,
            "count": len(mentions),
            "first_mention": mentions[0].span,
        }
    )


def _form_key(surface: str) -> str:
    return " ".join(surface.replace(".", "").replace("\u2019", "'").casefold().split())


def _without_honorific(mention: Mention) -> Mention:
    """A person's mention without its leading honorifics (`Mr`, `President`…), its span too."""
    if mention.label != "PERSON" or not (honorific := _HONORIFIC.match(mention.surface)):
        return mention
    rest = mention.surface[honorific.end() :]
    if not rest:  # only a title ("the President"): keep what the text says
        return mention
    start = mention.span.start + honorific.end()
    span = TextSpan.model_validate({**mention.span.model_dump(), "start": start})
    return Mention(mention.label, rest, span, mention.order)


def _join_canonical(groups: "_FormGroups", by_form: dict[str, list[Mention]]) -> None:
    """Forms of one country or body (`UK`, `Britain`) are one entity, unless used for a person."""
    by_name: dict[str, str] = {}
    for form, form_mentions in by_form.items():
        name = CANONICAL_NAMES.get(form)
        if name is None or all(m.label == "PERSON" for m in form_mentions):
            continue
        if name in by_name:
            groups.join(form, by_name[name])
        else:
            by_name[name] = form


def _join_acronyms(groups: "_FormGroups", by_form: dict[str, list[Mention]]) -> None:
    expansions: dict[str, list[str]] = {}
    for form in by_form:
        words = [word for word in form.split() if word not in SKIPPED_IN_ACRONYMS]
        if len(words) >= 2:
            expansions.setdefault("".join(word[0] for word in words), []).append(form)
    for form, form_mentions in by_form.items():
        is_acronym = any(
            m.surface.replace(".", "").isupper() and m.label != "PERSON" for m in form_mentions
        )
        if is_acronym and len(form) in ACRONYM_LETTERS:
            for expansion in expansions.get(form, []):
                groups.join(form, expansion)


def _join_surnames(groups: "_FormGroups", by_form: dict[str, list[Mention]]) -> None:
    people = [form for form, ms in by_form.items() if any(m.label == "PERSON" for m in ms)]
    for form, form_mentions in by_form.items():
        if not all(m.label in SURNAME_LABELS for m in form_mentions):
            continue
        words = form.split()
        bearers = {
            groups.find(person)
            for person in people
            if len(person.split()) > len(words) and person.split()[-len(words) :] == words
        }
        if len(bearers) == 1:  # two people share the surname: it is ambiguous, leave it apart
            groups.join(form, bearers.pop())


class _FormGroups:
    """Union-find over surface-form keys."""

    def __init__(self, forms: list[str]) -> None:
        self._parent = {form: form for form in forms}

    def find(self, form: str) -> str:
        while self._parent[form] != form:
            self._parent[form] = self._parent[self._parent[form]]
            form = self._parent[form]
        return form

    def join(self, form: str, other: str) -> None:
        self._parent[self.find(form)] = self.find(other)
